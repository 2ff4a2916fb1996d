"""Assignments: targets read per platform, one row and one DM per person, reminders that skip people
who passed or whose due day moved, passing marked once, placement by roster, workspace file, channel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import timers
from bot.chat.model import Buttons, ContextLine, Header, Message, MessageRef, Text, readable
from bot.chat.port import ChatError
from bot.context import Services
from bot.roles import RoleResolver
from bot.routing import UsageError
from bot.workspace import Workspace
from handlers.quiz import assign, assign_cli, assign_views, people, progress, store
from handlers.quiz.attempts import answer, start
from handlers.quiz.bank import Answer, Choice, ImportedBank, Question
from storage import claims
from storage.engine import Database
from storage.models import QuizAssignment
from storage.models.quiz import QuizRosterEntry

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 10:00 in Dublin
TRAINER, LEE, KAI, NICO, BOT = "U0TRAINER1", "U0LABEL01", "U0LABEL02", "U0NWLEAD1", "UBOT0001"
TEAMS_PERSON = "0f4b6f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"


def slack_workspace(**extra: object) -> Workspace:
    return Workspace.model_validate(
        {
            "timezone": "Europe/Dublin",
            "admins": ["U0QALEAD1"],
            "trainers": [TRAINER],
            "channels": [{"id": "C0NWIND01", "name": "vendor-northwind"}],
            "vendors": [
                {"id": "northwind", "name": "Northwind", "channel": "C0NWIND01", "leads": [NICO],
                 "sites": ["lisbon", "manila"]},
                {"id": "bluebird", "name": "Bluebird", "channel": "C0BLUEB01", "contacts": ["group:bb"],
                 "sites": ["nairobi"]},
            ],
            "groups": [{"id": "bb", "name": "Bluebird people", "members": [KAI]}],
            "people": [{"id": LEE, "name": "Lee Labeler"}],
            **extra,
        }
    )  # fmt: skip


class FakePort:
    """DMs recorded; channel members from a dict; a channel missing from it is refused."""

    def __init__(self, channels: dict[str, list[str]] | None = None) -> None:
        self.channels = channels or {}
        self.dms: list[tuple[str, Message]] = []
        self.unreachable: set[str] = set()
        self.member_calls = 0

    async def own_user(self) -> str:
        return BOT

    async def dm(
        self, user: str, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef:
        if user in self.unreachable:
            raise ChatError("cannot_dm_bot", "their DMs are closed")
        self.dms.append((user, message))
        return MessageRef(f"D{user}", str(len(self.dms)))

    async def channel_members(self, channel: str) -> list[str]:
        self.member_calls += 1
        if channel not in self.channels:
            raise ChatError("not_in_channel", "invite the bot")
        return self.channels[channel]

    async def usergroup_members(self, usergroup: str) -> list[str]:
        return {"S0QUIZ001": [KAI]}.get(usergroup, [])


def services(db: Database, port: FakePort, clock: list[datetime], ws: Workspace | None = None) -> Services:
    ws = ws or slack_workspace()
    roles = RoleResolver(ws, port.usergroup_members)
    return Services(port=port, db=db, workspace=ws, roles=roles, settings=None, clock=lambda: clock[0])  # type: ignore[arg-type]


def bank() -> ImportedBank:
    found = ImportedBank(titles={"spam": "Spam basics"}, pass_marks={"spam": 1.0})
    found.add("spam", Question("q1", "single", "Spam?", choices=(Choice("yes", 1.0), Choice("no", 0.0))))
    return found


def texts(message: Message) -> str:
    """Everything a person reads in the message, buttons included."""
    found = [readable(message.summary)]
    for part in message.parts:
        if isinstance(part, Header | Text):
            found.append(readable(part.text if isinstance(part, Header) else part.markdown))
        elif isinstance(part, ContextLine):
            found += [readable(item) for item in part.items]
        elif isinstance(part, Buttons):
            found += [b.label for b in part.buttons]
    return "\n".join(found)


# ----- reading the command -----


def test_slack_mentions_ids_groups_and_channel_names_are_read_with_the_due_day() -> None:
    ws = slack_workspace()
    got = assign.parse(
        "Spam to <@U0LABEL02|kai>, <#C0NWIND01|vendor-northwind> <!subteam^S0QUIZ001|@quizzers> "
        "group:bb and #vendor-northwind U0LABEL01 by 2026-12-10",
        ws,
        date(2026, 12, 1),
    )
    assert got.topic_id == "spam" and got.due == date(2026, 12, 10)
    assert [(t.kind, t.id) for t in got.targets] == [
        ("user", KAI), ("channel", "C0NWIND01"), ("usergroup", "S0QUIZ001"), ("group", "group:bb"),
        ("user", LEE),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("spam", "whom to assign"),
        ("spam to", "whom to assign"),
        ("spam to nobody-known", "nobody-known"),
        ("spam to group:missing", "group:missing"),
        ("spam to U0LABEL01 by 2026-11-30", "has passed"),
        ("spam to U0LABEL01 by 2026-02-30", "not a day of the calendar"),
        ("spam to U0LABEL01 by tomorrow", "not a day like"),
    ],
)
def test_a_command_that_names_nobody_or_a_bad_day_is_refused_saying_why(text: str, said: str) -> None:
    with pytest.raises(UsageError) as refused:
        assign.parse(text, slack_workspace(), date(2026, 12, 1))
    assert said in refused.value.args[0].plain


def test_on_teams_guids_channel_ids_and_mentioned_names_are_targets() -> None:
    ws = Workspace.model_validate(
        {
            "platform": "teams",
            "timezone": "UTC",
            "admins": [TEAMS_PERSON],
            "people": [{"id": TEAMS_PERSON, "name": "Ada Example"}],
        }
    )
    channel = "19:abc123@thread.tacv2"
    got = assign.parse(f"spam to Ada Example and {channel} {TEAMS_PERSON.upper()}", ws, date(2026, 12, 1))
    assert [(t.kind, t.id) for t in got.targets] == [("user", TEAMS_PERSON), ("channel", channel)]
    with pytest.raises(UsageError):  # a Slack ID means nothing on Teams
        assign.parse("spam to U0LABEL01", ws, date(2026, 12, 1))


# ----- assigning -----


async def test_a_channel_assignment_tells_each_member_once_and_never_the_bot(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    port = FakePort({"C0NWIND01": [LEE, KAI, BOT]})
    clock = [NOW]
    svc = services(db, port, clock)
    request = assign.parse("spam to <#C0NWIND01> <@U0LABEL01> by 2026-12-10", svc.workspace, NOW.date())
    first = await assign.assign(svc, request, TRAINER)
    assert first is not None and first.who("told") == [LEE, KAI]
    assert sorted(u for u, _ in port.dms) == [LEE, KAI]
    assert "Start: Spam basics" in texts(port.dms[0][1]) and "2026-12-10" in texts(port.dms[0][1])
    again = await assign.assign(svc, request, TRAINER)  # the same command twice: no new DM, no new row
    assert again is not None and again.who("told_before") == [LEE, KAI]
    assert len(port.dms) == 2
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(QuizAssignment)) == 2
    moved = assign.parse("spam to U0LABEL01 by 2026-12-12", svc.workspace, NOW.date())
    await assign.assign(svc, moved, TRAINER)  # a new due day: the row moves, one DM says so
    async with db.transaction() as session:
        row = await session.scalar(select(QuizAssignment).where(QuizAssignment.user_id == LEE))
        assert row is not None and row.due == date(2026, 12, 12)
        assert await session.scalar(select(func.count()).select_from(QuizAssignment)) == 2
    assert [u for u, _ in port.dms].count(LEE) == 2


async def test_unreachable_people_and_unreadable_channels_are_reported_to_the_assigner(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    port = FakePort({})
    port.unreachable.add(KAI)
    svc = services(db, port, [NOW])
    request = assign.parse("spam to <@U0LABEL02> <@U0LABEL01> <#C0BLUEB01>", svc.workspace, NOW.date())
    summary = await assign.assign(svc, request, TRAINER)
    assert summary is not None and summary.who("unreached") == [KAI] and summary.who("told") == [LEE]
    said = texts(assign_views.summary_message(summary))
    assert "could not be reached" in said and "invite the bot" in said
    # the unreached person's DM was not recorded as sent: a later assignment tries again
    port.unreachable.clear()
    again = await assign.assign(svc, request, TRAINER)
    assert again is not None and again.who("told") == [KAI]


async def test_reminders_fire_once_the_day_before_and_on_the_day_and_skip_who_passed(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    port = FakePort()
    clock = [NOW]
    svc = services(db, port, clock)
    svc.timers = {assign.REMIND_KIND: assign.REMIND}
    await assign.assign(
        svc, assign.parse("spam to U0LABEL01 U0LABEL02 by 2026-12-03", svc.workspace, NOW.date()), TRAINER
    )
    port.dms.clear()
    clock[0] = datetime(2026, 12, 2, 8, 59, tzinfo=UTC)  # 08:59 Dublin: not yet
    assert await timers.run_due(svc, svc.timers) == 0
    clock[0] = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert await timers.run_due(svc, svc.timers) == 2
    assert sorted(u for u, _ in port.dms) == [LEE, KAI] and "tomorrow" in texts(port.dms[0][1])
    assert await timers.run_due(svc, svc.timers) == 0  # nothing twice
    # Lee passes; on the due day only Kai hears about it.
    step = await start(db, LEE, "spam", clock[0])
    right = step.order.index(0)
    done = await answer(db, step.attempt_id, 0, LEE, Answer(chosen=(right,)), clock[0])
    assert done.result is not None and done.result.passed
    port.dms.clear()
    clock[0] = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    await timers.run_due(svc, svc.timers)
    assert [u for u, _ in port.dms] == [KAI] and "today" in texts(port.dms[0][1])
    lee = await claims.state(db, assign.remind_key("spam", LEE, date(2026, 12, 3)))
    assert lee is not None and lee.result == "passed"


async def test_a_moved_due_day_silences_the_old_reminders(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    port = FakePort()
    clock = [NOW]
    svc = services(db, port, clock)
    svc.timers = {assign.REMIND_KIND: assign.REMIND}
    ws = svc.workspace
    await assign.assign(svc, assign.parse("spam to U0LABEL01 by 2026-12-03", ws, NOW.date()), TRAINER)
    await assign.assign(svc, assign.parse("spam to U0LABEL01 by 2026-12-05", ws, NOW.date()), TRAINER)
    port.dms.clear()
    for day in (2, 3, 4, 5):
        clock[0] = datetime(2026, 12, day, 9, 30, tzinfo=UTC)
        await timers.run_due(svc, svc.timers)
    assert [m.summary.plain.split("due ")[1] for _, m in port.dms] == ["tomorrow, 2026-12-05.", "today."]


async def test_passing_marks_the_assignment_once_and_a_passed_person_is_not_told_again(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    port = FakePort()
    svc = services(db, port, [NOW])
    await assign.assign(svc, assign.parse("spam to U0LABEL01", svc.workspace, NOW.date()), TRAINER)
    step = await start(db, LEE, "spam", NOW)
    await answer(db, step.attempt_id, 0, LEE, Answer(chosen=(step.order.index(0),)), NOW)
    assert await assign.on_attempt_finished(svc, step.attempt_id) is True
    assert await assign.on_attempt_finished(svc, step.attempt_id) is False
    again = await assign.assign(
        svc, assign.parse("spam to U0LABEL01 by 2026-12-09", svc.workspace, NOW.date()), TRAINER
    )
    assert again is not None and again.who("passed") == [LEE] and len(port.dms) == 1


async def test_an_unknown_topic_assigns_nobody(db: Database) -> None:
    svc = services(db, FakePort(), [NOW])
    assert (
        await assign.assign(svc, assign.parse("nope to U0LABEL01", svc.workspace, NOW.date()), TRAINER)
        is None
    )


# ----- placement and status -----


async def test_placement_prefers_the_roster_then_the_workspace_file_then_the_vendor_channel(
    db: Database,
) -> None:
    port = FakePort({"C0NWIND01": [LEE, "U0OTHER01"], "C0BLUEB01": []})
    svc = services(db, port, [NOW])
    rows = people.parse_roster(b"user_id,vendor,site\nU0OTHER01,bluebird,nairobi\n", svc.workspace)
    await people.import_roster(db, rows, NOW)
    assert await people.placement(svc, "U0OTHER01") == ("bluebird", "nairobi")  # roster over channel
    assert await people.placement(svc, NICO) == ("northwind", None)  # a lead; two sites: which unknown
    assert await people.placement(svc, KAI) == ("bluebird", "nairobi")  # contact via group, one site
    assert await people.placement(svc, LEE) == ("northwind", None)  # the vendor channel
    assert await people.placement(svc, "U0NOBODY1") == (None, None)
    calls = port.member_calls
    await people.placement(svc, "U0NOBODY1")
    assert port.member_calls == calls  # channel members cached


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"user,vendor,site\n", "header"),
        (b"user_id,vendor,site\nnot-an-id,northwind,lisbon\n", "not a Slack user ID"),
        (b"user_id,vendor,site\nU0LABEL01,acme,lisbon\n", "unknown vendor"),
        (b"user_id,vendor,site\nU0LABEL01,northwind,paris\n", "no site 'paris'"),
        (b"user_id,vendor,site\nU0LABEL01,northwind,lisbon\nU0LABEL01,northwind,manila\n", "listed already"),
        (b"user_id,vendor,site\n\xff\xfe\n", "not UTF-8"),
    ],
)
async def test_an_invalid_roster_changes_nothing(db: Database, content: bytes, said: str) -> None:
    ws = slack_workspace()
    good = people.parse_roster(b"user_id,vendor,site,labeler_id\nU0LABEL01,northwind,lisbon,lab-7\n", ws)
    assert (await people.import_roster(db, good, NOW)).added == 1
    with pytest.raises(people.RosterError) as refused:
        people.parse_roster(content, ws)
    assert any(said in p for p in refused.value.problems)
    async with db.transaction() as session:
        entry = await session.get(QuizRosterEntry, LEE)
        assert entry is not None and (entry.site, entry.labeler_id) == ("lisbon", "lab-7")


async def test_a_roster_import_again_reports_updates_and_unchanged_rows(db: Database) -> None:
    ws = slack_workspace()
    await people.import_roster(
        db, people.parse_roster(b"user_id,vendor,site\nU0LABEL01,northwind,lisbon\n", ws), NOW
    )
    text = b"user_id,vendor,site\nU0LABEL01,northwind,manila\nU0LABEL02,bluebird,\n"
    report = await people.import_roster(db, people.parse_roster(text, ws), NOW + timedelta(days=1))
    assert (report.added, report.updated, report.unchanged) == (1, 1, 0)


async def test_status_splits_by_vendor_and_site_and_lists_who_has_not_finished(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    port = FakePort({"C0NWIND01": [], "C0BLUEB01": []})
    svc = services(db, port, [NOW])
    roster = b"user_id,vendor,site\nU0LABEL01,northwind,lisbon\n" + b"".join(
        f"U0MANY{i:04d},northwind,manila\n".encode() for i in range(40)
    )
    await people.import_roster(db, people.parse_roster(roster, svc.workspace), NOW)
    targets = " ".join(["U0LABEL01", "U0LABEL02"] + [f"U0MANY{i:04d}" for i in range(40)])
    await assign.assign(svc, assign.parse(f"spam to {targets}", svc.workspace, NOW.date()), TRAINER)
    step = await start(db, LEE, "spam", NOW)
    await answer(db, step.attempt_id, 0, LEE, Answer(chosen=(step.order.index(0),)), NOW)
    rows = [r for r in await progress.progress(db, "spam") if r.assigned]
    placed = await people.placements_for(svc, [r.user for r in rows])
    groups = progress.by_placement(rows, placed)
    assert list(groups) == [("bluebird", "nairobi"), ("northwind", "lisbon"), ("northwind", "manila")]
    topic = (await store.topics(db))[0].topic
    said = texts(assign_views.status_message(svc.workspace, topic, groups))
    assert "42 assigned, 1 finished" in said and "and 11 more" in said
    assert "Not finished yet (41)" in said


async def test_readiness_lists_who_passed_per_vendor_and_site_without_a_chat_connection(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    svc = services(db, FakePort({"C0NWIND01": [], "C0BLUEB01": []}), [NOW])
    await people.import_roster(
        db, people.parse_roster(b"user_id,vendor,site\nU0LABEL01,northwind,lisbon\n", svc.workspace), NOW
    )
    await assign.assign(svc, assign.parse("spam to U0LABEL01 U0LABEL02", svc.workspace, NOW.date()), TRAINER)
    step = await start(db, LEE, "spam", NOW)
    await answer(db, step.attempt_id, 0, LEE, Answer(chosen=(step.order.index(0),)), NOW)
    step = await start(db, NICO, "spam", NOW)  # passed without being assigned: ready all the same
    await answer(db, step.attempt_id, 0, NICO, Answer(chosen=(step.order.index(0),)), NOW)
    data = await assign_cli.readiness(db, svc.workspace, "spam")
    groups = {(g["vendor"], g["site"]): g for g in data["topics"][0]["groups"]}
    assert groups[("northwind", "lisbon")]["ready_users"] == [LEE]
    assert groups[("northwind", None)] == {
        "vendor": "northwind", "site": None, "assigned": 0, "ready": 1, "not_yet": 0,
        "ready_users": [NICO], "not_yet_users": [],
    }  # fmt: skip
    assert groups[("bluebird", "nairobi")]["not_yet_users"] == [KAI]
