"""A new cohort read from an import CSV: rows grouped by cohort, every problem named by line and column.
The calendar facts the expected days rest on are in test_training_intake.py."""

from datetime import date

import pytest

from bot.workspace import Workspace
from handlers.quiz.assign import Target
from handlers.training.intake_csv import CohortCsvError, parse_cohort_csv
from tests.unit.training_intake_fixtures import PLANS, TODAY
from tests.unit.training_intake_fixtures import ws as ws  # a fixture

HEADER = "cohort,vendor,site,queues,plan,start,target,trainers,labeler,labeler_id"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


LISBON = "lisbon-dec,northwind,lisbon,hate-en,new-labeler,2026-12-07,2026-12-31,U0TRAINER1"
MANILA = "manila-dec,northwind,manila,spam-pt,new-labeler,2026-12-07,2026-12-31,U0TRAINER1"


def _problems_of(content: bytes, ws: Workspace) -> list[str]:
    with pytest.raises(CohortCsvError) as caught:
        parse_cohort_csv(content, ws, PLANS, TODAY)
    return caught.value.problems


def test_rows_grouped_by_cohort_in_first_appearance_order(ws: Workspace) -> None:
    content = _csv(
        f"{MANILA},U0LABEL02,mn-202",
        f"{LISBON},U0LABEL01,lx-101",
        f"{MANILA},Lee Labeler,",
        f"{LISBON},#vendor-bluebird,",
    )
    manila, lisbon = parse_cohort_csv(content, ws, PLANS, TODAY)
    assert (manila.name, manila.site, manila.queues) == ("manila-dec", "manila", ("spam-pt",))
    assert manila.labelers == (Target("user", "U0LABEL02"), Target("user", "U0LABEL01"))
    assert manila.labeler_ids == {"U0LABEL02": "mn-202"}
    assert lisbon.labelers == (Target("user", "U0LABEL01"), Target("channel", "C0BLUEB01"))
    assert lisbon.labeler_ids == {"U0LABEL01": "lx-101"}
    assert lisbon.layout.go_live == date(2026, 12, 17)


def test_bom_header_case_and_no_labeler_id_column(ws: Workspace) -> None:
    header = "Cohort,VENDOR,Site,Queues,Plan,Start,Target,Trainers,Labeler"
    content = b"\xef\xbb\xbf" + _csv(f"{LISBON},U0LABEL01", header=header).replace(b"\n", b"\r\n")
    (cohort,) = parse_cohort_csv(content, ws, PLANS, TODAY)
    assert cohort.labelers == (Target("user", "U0LABEL01"),) and cohort.labeler_ids == {}


def test_rows_of_a_cohort_must_agree(ws: Workspace) -> None:
    content = _csv(
        f"{LISBON},U0LABEL01,",
        "lisbon-dec,northwind,manila,hate-en,new-labeler,2026-12-07,2026-12-31,U0TRAINER1,U0LABEL02,",
        # blank shared cells mean the same; the queues in another order and separator agree
        "lisbon-dec,,,hate-en;,,,,U0TRAINER1,U0QALEAD1,",
    )
    assert _problems_of(content, ws) == [
        "line 3: site: “manila” disagrees with “lisbon” on line 2: "
        "every row of cohort lisbon-dec gives the same site"
    ]


def test_field_problems_name_the_line_and_column(ws: Workspace) -> None:
    content = _csv(
        "Lisbon Dec!,northwind,nairobi,hate-en,new-labeler,2026-12-21,2026-12-28,U0TRAINER1,U0LABEL01,",
        "Lisbon Dec!,northwind,nairobi,hate-en,new-labeler,2026-12-21,2026-12-28,U0TRAINER1,nobody,",
        f"{LISBON},U0LABEL01,lx-1",
        f"{LISBON},U0LABEL01,lx-2",
        f"{LISBON},U0LABEL02,lx-1",
        f"{LISBON},,",
    )
    problems = _problems_of(content, ws)
    assert problems[0].startswith("line 2: cohort: “Lisbon Dec!” is not a name like lisbon-dec")
    assert problems[1] == "line 2: site: northwind does not work at nairobi (its sites: lisbon, manila)."
    assert problems[2].startswith("line 3: labeler: I don't know whom “nobody” means:")
    assert problems[3:] == [
        "line 5: labeler: U0LABEL01 is listed already on line 4",
        "line 6: labeler_id: lx-1 is listed already on line 4",
        "line 7: labeler: empty: give the labeler (use a mention, a user ID, a #channel the workspace file "
        "lists, group:<id> or a listed person's name)",
    ]


def test_a_plan_that_cannot_fit_is_said_on_the_target_column(ws: Workspace) -> None:
    content = _csv(
        f"{LISBON},U0LABEL01,",
        "xmas,northwind,lisbon,hate-en,new-labeler,2026-12-21,2026-12-28,U0TRAINER1,U0LABEL01,",
    )
    assert _problems_of(content, ws) == [
        "line 3: target: The plan needs until Thu 31 Dec 2026, 3 working days after the target "
        "Mon 28 Dec 2026: move the target or shorten the plan."
    ]


def test_a_labeler_id_belongs_to_one_person(ws: Workspace) -> None:
    content = _csv(f"{LISBON},group:policy-owners,lx-1")
    assert _problems_of(content, ws) == [
        "line 2: labeler_id: group:policy-owners is a group: a labeler ID belongs to one person"
    ]


def test_header_problems_are_named(ws: Workspace) -> None:
    header = "cohort,vendor,site,queue,plan,start,target,trainers,labeler,notes"
    assert _problems_of(_csv(f"{LISBON},U0LABEL01,x", header=header), ws) == [
        "line 1: queue: not a column of this file (columns: cohort, vendor, site, queues, plan, start, "
        "target, trainers, labeler, labeler_id)",
        "line 1: notes: not a column of this file (columns: cohort, vendor, site, queues, plan, start, "
        "target, trainers, labeler, labeler_id)",
        "line 1: queues: the column is missing (columns: cohort, vendor, site, queues, plan, start, "
        "target, trainers, labeler, labeler_id)",
    ]


def test_file_problems(ws: Workspace) -> None:
    assert _problems_of(b"", ws)[0].startswith("line 1: header: the file is empty")
    assert _problems_of(_csv(), ws) == [
        "line 2: cohort: the file has no rows: one labeler a row, under the header"
    ]
    assert _problems_of(b"cohort\xff\n", ws) == ["the file is not UTF-8 text (byte 6): save it as CSV UTF-8"]
    assert _problems_of(b"x" * (5 * 1024 * 1024 + 1), ws) == ["the file is larger than 5 MB"]
    assert _problems_of(_csv(f"{LISBON},U0LABEL01,x,extra"), ws) == ["line 2: 11 fields, the header has 10"]
    assert _problems_of(
        _csv(",northwind,lisbon,hate-en,new-labeler,2026-12-07,2026-12-31,U0TRAINER1,U0LABEL01,"), ws
    ) == ["line 2: cohort: empty: name the cohort on every row"]


def test_nothing_is_returned_when_one_cohort_has_a_problem(ws: Workspace) -> None:
    content = _csv(
        f"{LISBON},U0LABEL01,",
        f"{MANILA},U0LABEL02,",
        "other,acme,lisbon,hate-en,new-labeler,2026-12-07,2026-12-31,U0TRAINER1,U0LABEL01,",
    )
    assert _problems_of(content, ws) == [
        "line 4: vendor: There is no vendor “acme” in the workspace file (vendors: northwind, bluebird)."
    ]
