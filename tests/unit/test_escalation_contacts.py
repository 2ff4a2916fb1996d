"""`tsqa contacts import`: a valid file replaces the roles it lists, a re-import changes nothing, and a
file with any problem writes nothing and names every problem by line and column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.workspace import Workspace, load_workspace
from handlers.escalate.contacts import ContactsError, import_file, imported, parse_contacts
from storage.engine import Database
from storage.models.escalation import DirectoryContact

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
BY = "tsqa contacts import"

VALID = """scope,id,role,people
platform,labelling-tool,rd_oncall,U0RDONCALL;U0RDONCAL2
platform,labelling-tool,rd_escalation,U0RDLEAD1 group:policy-owners

vendor,northwind,operations,"U0NWLEAD1; S0NWOPS01"
vendor,northwind,site_lead,
vendor,bluebird,workforce,U0BBWFM01;U0BBWFM01
"""


async def test_a_valid_file_replaces_the_roles_it_lists(db: Database, workspace: Workspace) -> None:
    summary = await import_file(db, VALID, workspace, by=BY, now=NOW)
    assert len(summary.added) == 5 and summary.changed == summary.unchanged == []
    assert await imported(db) == {
        ("platform", "labelling-tool", "rd_oncall"): ["U0RDONCALL", "U0RDONCAL2"],
        ("platform", "labelling-tool", "rd_escalation"): ["U0RDLEAD1", "group:policy-owners"],
        ("vendor", "northwind", "operations"): ["U0NWLEAD1", "S0NWOPS01"],
        ("vendor", "northwind", "site_lead"): [],  # an empty cell: nobody, on purpose
        ("vendor", "bluebird", "workforce"): ["U0BBWFM01"],  # named twice, kept once
    }


async def test_a_reimport_changes_nothing_and_a_changed_role_is_replaced(
    db: Database, workspace: Workspace
) -> None:
    await import_file(db, VALID, workspace, by=BY, now=NOW)
    again = await import_file(db, VALID, workspace, by="someone else", now=NOW + timedelta(days=1))
    assert (len(again.added), len(again.changed), len(again.unchanged)) == (0, 0, 5)
    async with db.transaction() as session:
        stamps = {
            (c.updated_at, c.updated_by) for c in (await session.scalars(select(DirectoryContact))).all()
        }
    assert stamps == {(NOW, BY)}  # unchanged rows keep who changed them last, and when

    later = NOW + timedelta(days=2)
    edited = (
        "scope,id,role,people\n"
        "platform,labelling-tool,rd_oncall,U0RDONCAL3\n"
        "vendor,bluebird,site_lead,U0BBSITE1\n"
    )
    summary = await import_file(db, edited, workspace, by="ops", now=later)
    assert summary.changed == [("platform", "labelling-tool", "rd_oncall")]
    assert summary.added == [("vendor", "bluebird", "site_lead")]
    contacts = await imported(db)
    assert contacts[("platform", "labelling-tool", "rd_oncall")] == ["U0RDONCAL3"]
    assert contacts[("vendor", "northwind", "operations")] == [
        "U0NWLEAD1",
        "S0NWOPS01",
    ]  # not in the file: kept
    assert len(contacts) == 6
    async with db.transaction() as session:
        row = await session.get(DirectoryContact, ("platform", "labelling-tool", "rd_oncall"))
    assert row is not None and (row.updated_at, row.updated_by) == (later, "ops")


async def test_an_invalid_file_writes_nothing_and_names_every_problem(
    db: Database, workspace: Workspace
) -> None:
    await import_file(db, VALID, workspace, by=BY, now=NOW)
    before = await imported(db)
    bad = (
        "scope,id,role,people\n"
        "platform,labelling-tool,rd_oncall,U0RDNEW01\n"  # fine on its own, but the file fails
        "team,labelling-tool,rd_oncall,U0RDONCALL\n"
        "platform,billing,rd_oncall,U0RDONCALL\n"
        "vendor,northwind,rd_oncall,U0NWLEAD1\n"
        "vendor,bluebird,operations,3c0f6e2a-7b41-4d8e-9a15-0000000b0001;group:rd-leads\n"
        "platform,labelling-tool,rd_oncall,U0RDONCALL\n"
        "vendor,northwind,workforce,alice@example.com\n"
        "vendor,northwind\n"
    )
    with pytest.raises(ContactsError) as raised:
        await import_file(db, bad, workspace, by=BY, now=NOW + timedelta(days=1))
    problems = raised.value.problems
    assert [p.split(":")[0] for p in problems] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 6",
        "line 7",
        "line 8",
        "line 9",
    ]
    assert problems[0] == "line 3: scope: 'team' is not platform or vendor"
    assert problems[1] == (
        "line 4: id: 'billing' is not a platform of the workspace (labelling-tool, media-service, routing)"
    )
    assert problems[2] == (
        "line 5: role: 'rd_oncall' is not a vendor role (operations, workforce, site_lead)"
    )
    assert problems[3].startswith(
        "line 6: people: '3c0f6e2a-7b41-4d8e-9a15-0000000b0001' is a Teams user ID, "
        "but this workspace is on Slack"
    )
    assert problems[4].startswith("line 6: people: unknown group 'rd-leads'")
    assert problems[5] == "line 7: role: rd_oncall of platform labelling-tool is already on line 2"
    assert problems[6].startswith("line 8: people: 'alice@example.com' is not a Slack user or usergroup ID")
    assert problems[7] == "line 9: row: 2 cells where the header has 4"
    assert await imported(db) == before


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "line 1: file: the file is empty; its first line must be scope,id,role,people"),
        ("\n\n", "line 1: file: the file is empty; its first line must be scope,id,role,people"),
        (
            "platform,labelling-tool,rd_oncall,U0RDONCALL\n",
            "line 1: header: missing scope, id, role, people; the first line must be scope,id,role,people",
        ),
        (
            "scope,id,role,people,notes\n",
            "line 1: header: unexpected notes; the first line must be scope,id,role,people",
        ),
        ("scope,id,role,people\n", "line 1: file: no rows under the header"),
    ],
)
def test_a_file_without_its_header_or_rows_is_refused(workspace: Workspace, text: str, problem: str) -> None:
    with pytest.raises(ContactsError) as raised:
        parse_contacts(text, workspace)
    assert raised.value.problems == [problem]


def test_lines_count_quoted_line_breaks_and_blank_lines() -> None:
    ws = load_workspace(ROOT / "examples" / "workspace.yml")
    text = (
        "scope,id,role,people\n"
        "\n"
        'vendor,northwind,operations,"U0NWLEAD1\nU0NWLEAD2"\n'
        "vendor,nowhere,operations,\n"
    )
    with pytest.raises(ContactsError) as raised:
        parse_contacts(text.encode("utf-8-sig"), ws)
    assert raised.value.problems == [
        "line 5: id: 'nowhere' is not a vendor of the workspace (northwind, bluebird)"
    ]


def test_a_teams_workspace_takes_entra_ids_lower_case_and_refuses_slack_ids() -> None:
    ws = load_workspace(ROOT / "examples" / "workspace-teams.yml")
    rows = parse_contacts(
        "scope,id,role,people\nvendor,northwind,workforce,3C0F6E2A-7B41-4D8E-9A15-0000000B0001\n", ws
    )
    assert rows[0].people == ("3c0f6e2a-7b41-4d8e-9a15-0000000b0001",)
    with pytest.raises(ContactsError) as raised:
        parse_contacts("scope,id,role,people\nvendor,northwind,workforce,U0NWLEAD1\n", ws)
    assert raised.value.problems[0].startswith(
        "line 2: people: 'U0NWLEAD1' is a Slack user or usergroup ID, but this workspace is on Teams"
    )
