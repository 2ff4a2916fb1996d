"""A cohort's roster CSV (`user,labeler_id`): read, every problem with its line and column, recognised."""

import pytest

from bot.workspace import Workspace
from handlers.training.roster import RosterCsvError, looks_like_roster, parse_cohort_roster
from tests.unit.training_intake_fixtures import teams as teams  # a fixture
from tests.unit.training_intake_fixtures import ws as ws  # a fixture


def _problems(content: bytes, ws: Workspace) -> list[str]:
    with pytest.raises(RosterCsvError) as caught:
        parse_cohort_roster(content, ws)
    return caught.value.problems


def test_ids_mentions_and_names(ws: Workspace) -> None:
    content = b"user,labeler_id\nU0LABEL01,lx-101\n<@U0LABEL02|kai>, lx-102 \n\nQuinn Lead,lx-103\n"
    assert parse_cohort_roster(content, ws) == {
        "U0LABEL01": "lx-101",
        "U0LABEL02": "lx-102",
        "U0QALEAD1": "lx-103",
    }


def test_bom_crlf_and_header_case(ws: Workspace) -> None:
    content = b"\xef\xbb\xbfUser, Labeler_ID\r\nU0LABEL01,lx-101\r\n"
    assert parse_cohort_roster(content, ws) == {"U0LABEL01": "lx-101"}


def test_teams_ids_are_lower_cased(teams: Workspace) -> None:
    content = b"user,labeler_id\n3C0F6E2A-7B41-4D8E-9A15-0000000C0001,lx-101\nKai Labeler,lx-102\n"
    assert parse_cohort_roster(content, teams) == {
        "3c0f6e2a-7b41-4d8e-9a15-0000000c0001": "lx-101",
        "3c0f6e2a-7b41-4d8e-9a15-0000000c0002": "lx-102",
    }


def test_every_problem_with_its_line_and_column(ws: Workspace) -> None:
    content = (
        b"user,labeler_id\n"
        b"U0LABEL01,lx-101\n"  # line 2
        b"U0LABEL01,lx-999\n"  # line 3: the same person again
        b"U0LABEL02,lx-101\n"  # line 4: the same labeler ID again
        b"#vendor-northwind,lx-200\n"  # line 5: a channel, not one person
        b"someone,lx-201\n"  # line 6: nobody known
        b",lx-202\n"  # line 7
        b"U0QALEAD1,\n"  # line 8
        b"U0TRAINER1," + b"x" * 256 + b"\n"  # line 9
    )
    assert _problems(content, ws) == [
        "line 3: user: U0LABEL01 is listed already on line 2",
        "line 4: labeler_id: lx-101 is listed already on line 2",
        "line 5: user: #vendor-northwind is a channel, not one person: a roster has one labeler a row",
        "line 6: user: I don't know whom 'someone' means (give a Slack user ID, a mention or a name in the "
        "workspace file)",
        "line 7: user: empty: give the labeler (a Slack user ID, a mention or a name in the workspace file)",
        "line 8: labeler_id: empty: give their ID as it appears in the queue data",
        "line 9: labeler_id: longer than 255 characters",
    ]


def test_a_quoted_cell_over_two_lines_keeps_later_line_numbers(ws: Workspace) -> None:
    content = b'user,labeler_id\nU0LABEL01,"lx\n101"\nnobody,lx-2\n'
    assert _problems(content, ws)[0].startswith("line 4: user: I don't know whom 'nobody' means")


def test_header_and_file_problems(ws: Workspace) -> None:
    assert _problems(b"user,id\nU0LABEL01,lx\n", ws) == [
        "line 1: id: not a column of this file (columns: user, labeler_id)",
        "line 1: labeler_id: the column is missing (columns: user, labeler_id)",
    ]
    assert _problems(b"user,labeler_id\n", ws) == [
        "line 2: user: the file has no rows: one labeler a row, under the header user,labeler_id"
    ]
    assert _problems(b"user,labeler_id\nU0LABEL01,lx,more\n", ws) == ["line 2: 3 fields, the header has 2"]
    assert _problems(b"user,labeler_id\n\xe9\n", ws) == [
        "the file is not UTF-8 text (byte 16): save it as CSV UTF-8"
    ]


def test_looks_like_roster() -> None:
    assert looks_like_roster(b"user,labeler_id\nU0LABEL01,lx-1\n")
    assert looks_like_roster(b"\xef\xbb\xbf USER , Labeler_Id\r\n")
    assert not looks_like_roster(b"user,labeler_id,vendor\n")
    assert not looks_like_roster(b"user_id,vendor,site\n")
    assert not looks_like_roster(b"")
