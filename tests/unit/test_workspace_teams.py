"""The workspace file on Teams: IDs checked per platform, and `group:` references both platforms expand."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.roles import Role, RoleResolver
from bot.workspace import Workspace, WorkspaceError, load_workspace, parse_workspace

LEAD = "6b7d2e4f-1a2b-4c3d-8e9f-00000000a001"
TRAINER = "6b7d2e4f-1a2b-4c3d-8e9f-00000000a002"
VENDOR_LEAD = "6b7d2e4f-1a2b-4c3d-8e9f-00000000b001"
QA_CHANNEL = "19:5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b@thread.tacv2"

TEAMS = f"""\
platform: teams
timezone: Europe/Dublin
admins: [group:qa-leads]
trainers: [{TRAINER.upper()}]
groups:
  - {{id: qa-leads, name: QA leads, members: [{LEAD}, group:leads-of-leads]}}
  - {{id: leads-of-leads, name: Leads of leads, members: [{VENDOR_LEAD}]}}
channels:
  - {{id: "{QA_CHANNEL}", name: qa-ops}}
  - {{id: "19:meeting_0a1b2c3d4e5f@thread.v2", name: review-chat}}
vendors:
  - {{id: acme, name: Acme, channel: "19:0a1b2c3d4e5f@thread.skype", leads: [group:leads-of-leads]}}
people:
  - {{id: {LEAD}, name: Quinn Example, email: quinn@example.com}}
  - {{id: {TRAINER}, name: Tara Example}}
"""

SLACK = """\
timezone: Europe/Dublin
admins: [group:qa-leads, S0LEADS01]
groups:
  - {id: qa-leads, name: QA leads, members: [U0ADMIN1, W0ADMIN2]}
vendors:
  - {id: acme, name: Acme, channel: C0ACME001, leads: [U0LEAD01]}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace(text, Path("w.yml"))
    return caught.value.problems


def _one(problems: list[str], key: str) -> str:
    found = [p for p in problems if f": {key}: " in p]
    assert len(found) == 1, problems
    return found[0]


@pytest.mark.parametrize("name", ["workspace.yml", "workspace-teams.yml"])
def test_both_example_files_load(name: str) -> None:
    ws = load_workspace(Path("examples") / name)
    assert ws.platform == ("teams" if "teams" in name else "slack")
    assert ws.queue("hate-en") is not None and len(ws.vendors) == 2
    assert all(ws.person_name(p.id) == p.name for p in ws.people)


def test_platform_defaults_to_slack_and_groups_work_there() -> None:
    ws = parse_workspace(SLACK, Path("w.yml"))
    assert ws.platform == "slack"
    assert ws.expand(ws.admins) == ["U0ADMIN1", "W0ADMIN2", "S0LEADS01"]
    assert ws.is_platform_group("S0LEADS01") and not ws.is_platform_group("U0ADMIN1")


def test_teams_ids_are_accepted_and_guids_stored_lower_case() -> None:
    ws = parse_workspace(TEAMS, Path("w.yml"))
    assert ws.trainers == [TRAINER]
    assert ws.vendor("acme").channel == "19:0a1b2c3d4e5f@thread.skype"
    assert ws.person_name(LEAD.upper()) == "Quinn Example"
    assert ws.person_name(VENDOR_LEAD) is None
    assert ws.people[0].email == "quinn@example.com" and ws.people[1].email is None
    assert ws.channel_name(f"{QA_CHANNEL};messageid=1700000000001") == "qa-ops"
    assert ws.channel_name("19:meeting_0a1b2c3d4e5f@thread.v2") == "review-chat"
    assert not ws.is_platform_group("S0LEADS01")


def test_slack_ids_in_a_teams_workspace_name_key_and_line() -> None:
    text = TEAMS.replace(f"trainers: [{TRAINER.upper()}]", "trainers: [U0TRAINER1]").replace(
        f'id: "{QA_CHANNEL}"', "id: C0QAOPS01"
    )
    problems = _problems(text)
    trainer = _one(problems, "trainers[0]")
    assert trainer.startswith("w.yml:line 4, column 12:"), trainer
    assert "is a Slack user or usergroup ID, but this workspace is on Teams" in trainer
    assert "Entra ID → Users → Object ID" in trainer
    channel = _one(problems, "channels[0].id")
    assert "line 9" in channel and "is a Slack channel ID" in channel and "Get link to channel" in channel


def test_teams_ids_in_a_slack_workspace_name_key_and_line() -> None:
    text = SLACK.replace("U0LEAD01", LEAD).replace("channel: C0ACME001", f'channel: "{QA_CHANNEL}"')
    problems = _problems(text)
    lead = _one(problems, "vendors[0].leads[0]")
    assert "line 6" in lead and "is a Teams user ID, but this workspace is on Slack" in lead
    assert "Copy member ID" in lead
    channel = _one(problems, "vendors[0].channel")
    assert "line 6" in channel and "is a Teams channel ID" in channel


def test_malformed_teams_ids_say_where_to_find_the_right_one() -> None:
    text = TEAMS.replace(f"{{id: {LEAD}, name: Quinn", "{id: quinn@example.com, name: Quinn").replace(
        f'id: "{QA_CHANNEL}"', 'id: "19%3a5e6f7a8b9c0d%40thread.tacv2"'
    )
    problems = _problems(text)
    assert "is not a Teams user ID" in _one(problems, "people[0].id")
    assert "URL-encoded" in _one(problems, "channels[0].id")


def test_unknown_group_is_reported_where_it_is_referenced() -> None:
    problems = _problems(TEAMS.replace("leads: [group:leads-of-leads]", "leads: [group:leads-of-lead]"))
    problem = _one(problems, "vendors[0].leads[0]")
    assert "line 12" in problem and "unknown group 'leads-of-lead'" in problem
    assert "leads-of-leads, qa-leads" in problem


def test_group_cycles_are_rejected_with_the_path() -> None:
    cyclic = TEAMS.replace(f"members: [{VENDOR_LEAD}]", "members: [group:qa-leads]")
    problem = _one(_problems(cyclic), "groups")
    assert "group:qa-leads → group:leads-of-leads → group:qa-leads" in problem
    selfish = SLACK.replace("members: [U0ADMIN1, W0ADMIN2]", "members: [group:qa-leads]")
    assert "group:qa-leads → group:qa-leads" in _one(_problems(selfish), "groups")


def test_group_ids_are_unique() -> None:
    twice = SLACK.replace("groups:\n", "groups:\n  - {id: qa-leads, name: Again, members: []}\n")
    assert "qa-leads appear more than once" in _one(_problems(twice), "groups")


class _Lookup:
    """A platform usergroup lookup that records what it was asked."""

    def __init__(self, groups: dict[str, list[str]]):
        self.groups = groups
        self.asked: list[str] = []

    async def __call__(self, group: str) -> list[str]:
        self.asked.append(group)
        return self.groups.get(group, [])


def test_roles_resolve_through_nested_groups_without_a_platform_lookup() -> None:
    ws = parse_workspace(TEAMS, Path("w.yml"))
    lookup = _Lookup({})
    roles = RoleResolver(ws, lookup)

    async def go() -> None:
        lead = await roles.of(LEAD.upper())  # Teams may send either case; the file stores lower
        assert lead.is_admin and lead.user == LEAD
        vendor = await roles.of(VENDOR_LEAD)
        assert vendor.roles == {Role.ADMIN, Role.VENDOR_LEAD, Role.LABELER} and vendor.lead_of == {"acme"}
        trainer = await roles.of(TRAINER)
        assert trainer.roles == {Role.TRAINER, Role.LABELER}
        assert await roles.members(ws.admins) == {LEAD, VENDOR_LEAD}

    asyncio.run(go())
    assert lookup.asked == []


def test_slack_groups_mix_workspace_groups_and_usergroups() -> None:
    ws = parse_workspace(SLACK, Path("w.yml"))
    lookup = _Lookup({"S0LEADS01": ["U0FROMGRP"]})
    roles = RoleResolver(ws, lookup)

    async def go() -> None:
        assert (await roles.of("W0ADMIN2")).is_admin
        assert (await roles.of("U0FROMGRP")).is_admin
        assert not (await roles.of("U0LEAD01")).is_admin

    asyncio.run(go())
    assert lookup.asked == ["S0LEADS01"]  # cached after the first ask


def test_a_copied_workspace_with_a_cycle_still_expands() -> None:
    ws = parse_workspace(SLACK, Path("w.yml"))
    group = ws.groups[0].model_copy(update={"members": ["U0ADMIN1", "group:qa-leads"]})
    looped = ws.model_copy(update={"groups": [group]})
    assert looped.expand(["group:qa-leads"]) == ["U0ADMIN1"]


def test_a_section_built_alone_accepts_either_platform() -> None:
    from bot.workspace import Ingest

    assert Ingest(channels=[QA_CHANNEL, "C0QAOPS01"]).channels == [QA_CHANNEL, "C0QAOPS01"]
    assert isinstance(parse_workspace(SLACK, Path("w.yml")), Workspace)


def test_check_config_names_the_platform_and_fails_on_what_teams_rejects(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    good, bad = tmp_path / "good.yml", tmp_path / "bad.yml"
    good.write_text(TEAMS)
    bad.write_text(TEAMS.replace(f"trainers: [{TRAINER.upper()}]", "trainers: [U0TRAINER1]"))
    runner = CliRunner()
    ok = runner.invoke(app, ["check-config", "--json"], env={"TSQA_WORKSPACE": str(good)})
    assert ok.exit_code == 0 and json.loads(ok.output)["platform"] == "teams"
    text = runner.invoke(app, ["check-config"], env={"TSQA_WORKSPACE": str(good)})
    assert "OK for Teams" in text.output
    failed = runner.invoke(app, ["check-config", "--json"], env={"TSQA_WORKSPACE": str(bad)})
    assert failed.exit_code == 1
    (problem,) = json.loads(failed.output)["problems"]
    assert "line 4" in problem and "trainers[0]" in problem and "on Teams" in problem
