"""Policy cascades: the command read against the workspace file, one post per channel, members tracked
(bot left out, leavers kept and marked), an acknowledgement counted once, a quiz pass tracked, reminders
and the final summary sent once each."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.chat.model import Markup, Message, MessageRef, md
from bot.chat.port import ChatError
from bot.context import Services
from bot.roles import RoleResolver
from bot.routing import Router, UsageError
from handlers.policy import (
    cascade,
    cascade_members,
    cascade_reminders,
    cascade_status,
    cascade_targets,
    routes,
    store,
)
from handlers.policy.cascade_views import status_message
from handlers.quiz import assign
from handlers.quiz import store as quiz_store
from handlers.quiz.attempts import answer, start
from handlers.quiz.bank import Answer
from storage import claims
from storage.engine import Database
from storage.models import PolicyCascadeMember
from tests.conftest import ROOT
from tests.unit.test_quiz_assign import bank, texts

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 10:00 in Dublin
ADMIN, LEE, KAI, NICO, BOT = "U0QALEAD1", "U0LABEL01", "U0LABEL02", "U0NWLEAD1", "UBOT0001"
NORTHWIND, BLUEBIRD, QA_OPS = "C0NWIND01", "C0BLUEB01", "C0QAOPS01"


class FakePort:
    """Posts and DMs recorded; channel members from a dict; a channel missing from it is refused."""

    def __init__(self, channels: dict[str, list[str]]) -> None:
        self.channels = channels
        self.posts: list[tuple[str, Message]] = []
        self.dms: list[tuple[str, Message]] = []
        self.updates: list[tuple[MessageRef, Message]] = []

    async def own_user(self) -> str:
        return BOT

    async def post(self, channel: str, message: Message, *, key: str | None = None, look_first: bool = False):  # noqa: ANN201
        if channel not in self.channels:
            raise ChatError("not_in_channel", "invite the bot")
        self.posts.append((channel, message))
        return MessageRef(channel, str(len(self.posts)))

    async def dm(self, user: str, message: Message, *, key: str | None = None, look_first: bool = False):  # noqa: ANN201
        self.dms.append((user, message))
        return MessageRef(f"D{user}", str(len(self.dms)))

    async def channel_members(self, channel: str) -> list[str]:
        if channel not in self.channels:
            raise ChatError("not_in_channel", "invite the bot")
        return self.channels[channel]

    async def usergroup_members(self, usergroup: str) -> list[str]:
        return []

    async def update(self, ref: MessageRef, message: Message) -> None:
        self.updates.append((ref, message))

    def join_hint(self, channel: Markup) -> Markup:
        return md("invite the bot to {}", channel)


@pytest.fixture
def workspace():  # noqa: ANN201
    from bot.workspace import load_workspace

    return load_workspace(ROOT / "examples" / "workspace.yml").model_copy(update={"digests": []})


@pytest.fixture
async def library(db: Database) -> Database:
    await store.load_dir(db, ROOT / "examples" / "policies", NOW)
    await quiz_store.import_bank(db, bank(), NOW)
    return db


def services(db: Database, port: FakePort, clock: list[datetime], ws) -> Services:  # noqa: ANN001
    roles = RoleResolver(ws, port.usergroup_members)
    return Services(port=port, db=db, workspace=ws, roles=roles, settings=None, clock=lambda: clock[0])  # type: ignore[arg-type]


def members_port() -> FakePort:
    """Members as the ports give them: bots (the bot itself too) already left out."""
    return FakePort({NORTHWIND: [NICO, LEE], BLUEBIRD: [KAI], QA_OPS: [ADMIN]})


# ----- what changed, and reading the command -----


async def test_the_changes_are_the_sections_added_changed_and_removed_since_the_previous_version(
    library: Database,
) -> None:
    versions = await store.versions(library, "spam")
    v2 = versions[-1]
    found = cascade.changes(cascade.previous_version(versions, v2), v2)
    assert found.added == ("Engagement bait",) and found.changed == ("Repeated identical posts",)
    assert found.removed == () and not found.first
    assert cascade.changes(None, versions[0]).first
    back = cascade.changes(v2, versions[0])
    assert back.removed == ("Engagement bait",)
    # A few lines of the changed text itself, added and removed lines only, none empty or long.
    assert found.diff and len(found.diff) <= cascade.DIFF_LINES
    assert all(
        line[0] in "+-" and line[1:].strip() and len(line) <= cascade.DIFF_WIDTH for line in found.diff
    )


async def test_the_post_shows_a_few_lines_of_the_changed_text(library: Database, workspace) -> None:  # noqa: ANN001
    port = members_port()
    svc = services(library, port, [NOW], workspace)
    await cascade.publish(
        svc, cascade_targets.parse("spam --to northwind --ack-by 2026-12-04", workspace, NOW.date()), ADMIN
    )
    versions = await store.versions(library, "spam")
    diff = cascade.changes(versions[0], versions[1]).diff
    assert diff[0] in texts(port.posts[0][1])


@pytest.mark.parametrize("token", ["C0NOTLISTED", "<#C0NOTLISTED|elsewhere>", "<@U0LABEL01>", "U0LABEL01"])
def test_only_channels_the_workspace_file_lists_are_targets(workspace, token: str) -> None:  # noqa: ANN001
    with pytest.raises(UsageError) as refused:
        cascade_targets.parse(f"spam --to {token} --ack-by 2026-12-10", workspace, date(2026, 12, 1))
    assert "I know no vendor or channel" in refused.value.args[0].plain


def test_vendors_channel_mentions_names_and_ids_are_read_with_the_ack_by_day(workspace) -> None:  # noqa: ANN001
    got = cascade_targets.parse(
        "Spam --to northwind <#C0BLUEB01|vendor-bluebird> #qa-ops C0NWIND01 --ack-by 2026-12-10 --quiz Spam",
        workspace,
        date(2026, 12, 1),
    )
    assert got.policy_id == "spam" and got.ack_by == date(2026, 12, 10) and got.quiz == "spam"
    assert [(t.channel, t.vendor) for t in got.targets] == [
        (NORTHWIND, "northwind"),
        (BLUEBIRD, "bluebird"),
        (QA_OPS, None),
    ]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("--to northwind", "Name the policy"),
        ("spam --to northwind", "--ack-by"),
        ("spam --to nowhere --ack-by 2026-12-10", "nowhere"),
        ("spam --ack-by 2026-12-10", "where to post"),
        ("spam --to northwind --ack-by 2026-11-30", "has passed"),
        ("spam --to northwind --ack-by soon", "not a day like"),
        ("spam --to northwind --ack-by 2026-12-10 --every-day", "--every-day"),
    ],
)
def test_a_command_without_targets_or_a_good_day_is_refused_saying_why(
    workspace, text: str, said: str
) -> None:  # noqa: ANN001
    with pytest.raises(UsageError) as refused:
        cascade_targets.parse(text, workspace, date(2026, 12, 1))
    assert said in refused.value.args[0].plain


# ----- publishing and acknowledging -----


async def test_publishing_posts_once_per_channel_tracks_members_and_schedules_reminders_and_the_summary(
    library: Database, workspace
) -> None:  # noqa: ANN001
    port, clock = members_port(), [NOW]
    svc = services(library, port, clock, workspace)
    req = cascade_targets.parse(
        "spam --to northwind #vendor-bluebird --ack-by 2026-12-04", workspace, NOW.date()
    )
    done = await cascade.publish(svc, req, ADMIN)
    assert done.outcomes == {NORTHWIND: "posted", BLUEBIRD: "posted"} and done.members == {
        NORTHWIND: 2,
        BLUEBIRD: 1,
    }
    post = texts(port.posts[0][1])
    assert "Spam and platform manipulation · version 2" in post and "Added: _Engagement bait_" in post
    assert "Effective 2026-11-01" in post and "I have read and understood" in post
    again = await cascade.publish(svc, req, ADMIN)
    assert again.outcomes == {NORTHWIND: "posted_before", BLUEBIRD: "posted_before"} and len(port.posts) == 2
    for day in ("2026-12-03", "2026-12-04"):
        row = await claims.state(
            library, cascade_reminders.remind_key(done.cascade_id, date.fromisoformat(day))
        )
        assert row is not None and row.kind == cascade_reminders.REMIND_KIND
    summary = await claims.state(library, cascade_reminders.summary_key(done.cascade_id, date(2026, 12, 4)))
    assert summary is not None and summary.due_at == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # Dublin
    async with library.transaction() as session:
        users = set(await session.scalars(select(PolicyCascadeMember.user_id)))
    assert users == {NICO, LEE, KAI}


async def test_a_channel_the_bot_is_not_in_is_reported_and_the_others_still_get_the_post(
    library: Database, workspace
) -> None:  # noqa: ANN001
    port = FakePort({NORTHWIND: [LEE]})
    svc = services(library, port, [NOW], workspace)
    req = cascade_targets.parse("spam --to northwind bluebird --ack-by 2026-12-04", workspace, NOW.date())
    done = await cascade.publish(svc, req, ADMIN)
    assert done.outcomes == {NORTHWIND: "posted", BLUEBIRD: "failed"}
    assert "invite the bot to" in done.problems[0].plain


async def test_an_unknown_policy_or_quiz_is_refused_before_anything_is_posted(
    library: Database, workspace
) -> None:  # noqa: ANN001
    port = members_port()
    svc = services(library, port, [NOW], workspace)
    for text, said in (
        ("nothing --to northwind", "no policy `nothing`"),
        ("spam --to northwind --quiz x", "no quiz `x`"),
    ):
        with pytest.raises(cascade.PublishError) as refused:
            await cascade.publish(
                svc, cascade_targets.parse(f"{text} --ack-by 2026-12-04", workspace, NOW.date()), ADMIN
            )
        assert said in refused.value.message.plain
    assert not port.posts


async def test_an_acknowledgement_counts_once_a_stranger_is_refused_and_a_newcomer_is_looked_up(
    library: Database, workspace
) -> None:  # noqa: ANN001
    port, clock = members_port(), [NOW]
    svc = services(library, port, clock, workspace)
    done = await cascade.publish(
        svc, cascade_targets.parse("spam --to northwind --ack-by 2026-12-04", workspace, NOW.date()), ADMIN
    )
    first = await cascade_members.acknowledge(svc, done.cascade_id, LEE, NORTHWIND)
    clock[0] = NOW.replace(hour=11)
    second = await cascade_members.acknowledge(svc, done.cascade_id, LEE, f"D{LEE}")
    assert (first.outcome, second.outcome) == ("recorded", "already")
    assert (await cascade_members.acknowledge(svc, done.cascade_id, KAI, f"D{KAI}")).outcome == "not_member"
    port.channels[NORTHWIND].append(KAI)  # joined after the post: found when clicking in the channel
    assert (await cascade_members.acknowledge(svc, done.cascade_id, KAI, NORTHWIND)).outcome == "recorded"
    assert (await cascade_members.acknowledge(svc, 999, LEE, NORTHWIND)).outcome == "unknown"
    cascade_row = await cascade_status.latest_cascade(svc, "spam")
    assert cascade_row is not None
    found = await cascade_status.status(svc, cascade_row)
    assert found.channels[0].acked == (LEE, KAI) and found.pending_people() == [NICO]
    async with library.transaction() as session:
        acked = await session.scalar(
            select(PolicyCascadeMember.acked_at).where(PolicyCascadeMember.user_id == LEE)
        )
    assert acked == NOW  # the first click's time, not the second's


async def test_a_passed_quiz_counts_for_those_who_acknowledged_a_cascade_with_that_quiz(
    library: Database, workspace
) -> None:  # noqa: ANN001
    svc = services(library, members_port(), [NOW], workspace)
    req = cascade_targets.parse("spam --to northwind --ack-by 2026-12-04 --quiz spam", workspace, NOW.date())
    done = await cascade.publish(svc, req, ADMIN)
    await cascade_members.acknowledge(svc, done.cascade_id, LEE, NORTHWIND)
    await cascade_members.quiz_passed(svc, "spam", LEE, NOW)
    await cascade_members.quiz_passed(svc, "spam", NICO, NOW)  # passed without acknowledging: not counted yet
    await cascade_members.quiz_passed(svc, "other", LEE, NOW)
    row = await cascade_status.latest_cascade(svc, "spam")
    assert row is not None
    found = await cascade_status.status(svc, row)
    assert found.channels[0].passed == (LEE,) and found.pending_people() == [NICO]
    shown = texts(status_message(workspace, (await store.get(library, "spam")), found))  # type: ignore[arg-type]
    assert (
        "1 of 2 acknowledged (50%), 1 passed the quiz (50%)" in shown and "Northwind Review Services" in shown
    )


# ----- reminders, the summary, the daily refresh -----


async def _timers(db: Database, cascade_id: int, days: list[str]) -> dict[str, datetime | None]:
    """When each of the cascade's reminder and summary timers is due (None: not scheduled)."""
    found: dict[str, datetime | None] = {}
    for day in days:
        for what, key in (
            ("remind", cascade_reminders.remind_key(cascade_id, date.fromisoformat(day))),
            ("summary", cascade_reminders.summary_key(cascade_id, date.fromisoformat(day))),
        ):
            row = await claims.state(db, key)
            found[f"{what} {day}"] = row.due_at if row else None
    return found


@pytest.mark.parametrize(
    ("published", "remind_before", "remind_on", "summary"),
    [
        # the day before, after 09:00: that reminder would follow the post within hours, so it is left out
        (datetime(2026, 12, 2, 10, 0, tzinfo=UTC), None, datetime(2026, 12, 3, 9, 0, tzinfo=UTC), "17:00"),
        # on the ack-by day after 09:00: the post is the reminder; the summary still comes at the day's end
        (datetime(2026, 12, 3, 10, 0, tzinfo=UTC), None, None, "17:00"),
        # on the ack-by day after its end: the summary at once
        (datetime(2026, 12, 3, 18, 0, tzinfo=UTC), None, None, "now"),
    ],
)
async def test_a_late_publish_skips_reminders_that_would_follow_the_post_but_never_the_summary(
    library: Database, workspace, published: datetime, remind_before, remind_on, summary: str
) -> None:  # noqa: ANN001
    port, clock = members_port(), [published]
    svc = services(library, port, clock, workspace)
    req = cascade_targets.parse("spam --to northwind --ack-by 2026-12-03", workspace, published.date())
    done = await cascade.publish(svc, req, ADMIN)
    due = await _timers(library, done.cascade_id, ["2026-12-02", "2026-12-03"])
    assert due["remind 2026-12-02"] == remind_before and due["remind 2026-12-03"] == remind_on
    assert due["summary 2026-12-03"] == (
        datetime(2026, 12, 3, 17, 0, tzinfo=UTC) if summary == "17:00" else published
    )


async def test_moving_the_ack_by_day_schedules_its_own_timers_updates_the_posts_and_keeps_the_quiz(
    library: Database, workspace
) -> None:  # noqa: ANN001
    from bot import timers
    from handlers.policy.cascade_routes import REMIND, SUMMARY

    port, clock = members_port(), [NOW]
    svc = services(library, port, clock, workspace)
    svc.timers = {REMIND.kind: REMIND, SUMMARY.kind: SUMMARY}
    first = cascade_targets.parse(
        "spam --to northwind --ack-by 2026-12-03 --quiz spam", workspace, NOW.date()
    )
    done = await cascade.publish(svc, first, ADMIN)
    assert not port.updates
    moved = cascade_targets.parse("spam --to northwind bluebird --ack-by 2026-12-08", workspace, NOW.date())
    again = await cascade.publish(svc, moved, ADMIN)
    assert again.quiz_title == "Spam basics" and again.outcomes == {
        NORTHWIND: "posted_before",
        BLUEBIRD: "posted",
    }
    row = await cascade_status.latest_cascade(svc, "spam")
    assert row is not None and row.quiz_topic == "spam" and row.ack_by == date(2026, 12, 8)
    [(ref, updated)] = port.updates  # Northwind's post, in place; Bluebird's is new
    assert ref.channel == NORTHWIND and "2026-12-08" in texts(updated) and "Spam basics" in texts(updated)
    assert "2026-12-08" in texts(port.posts[1][1]) and "Spam basics" in texts(port.posts[1][1])
    due = await _timers(library, done.cascade_id, ["2026-12-07", "2026-12-08"])
    assert due["remind 2026-12-07"] and due["remind 2026-12-08"] and due["summary 2026-12-08"]
    clock[0] = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)  # the old days' timers fire and do nothing
    await timers.run_due(svc, svc.timers)
    assert not port.dms
    clock[0] = datetime(2026, 12, 8, 17, 1, tzinfo=UTC)
    await timers.run_due(svc, svc.timers)
    assert [u for u, m in port.dms if "final summary" in texts(m)] == [ADMIN]
    assert await cascade.publish(svc, moved, ADMIN) and len(port.updates) == 1  # nothing moved: no edit


async def test_reminders_go_to_pending_members_once_and_the_summary_to_owners_and_admins_once(
    library: Database, workspace
) -> None:  # noqa: ANN001
    from bot import timers
    from handlers.policy.cascade_routes import REMIND, SUMMARY

    port, clock = members_port(), [NOW]
    svc = services(library, port, clock, workspace)
    svc.timers = {REMIND.kind: REMIND, SUMMARY.kind: SUMMARY}
    done = await cascade.publish(
        svc, cascade_targets.parse("spam --to northwind --ack-by 2026-12-03", workspace, NOW.date()), ADMIN
    )
    await cascade_members.acknowledge(svc, done.cascade_id, LEE, NORTHWIND)
    clock[0] = datetime(2026, 12, 2, 9, 1, tzinfo=UTC)
    assert await timers.run_due(svc, svc.timers) == 1
    assert await timers.run_due(svc, svc.timers) == 0
    assert [u for u, m in port.dms] == [NICO] and "due tomorrow, 2026-12-03" in texts(port.dms[0][1])
    clock[0] = datetime(2026, 12, 3, 9, 1, tzinfo=UTC)
    await timers.run_due(svc, svc.timers)
    await timers.run_due(svc, svc.timers)
    sent = [(u, texts(m)) for u, m in port.dms[1:]]
    assert [u for u, t in sent] == [NICO] and "due today" in sent[0][1]  # the summary waits for 17:00
    clock[0] = datetime(2026, 12, 3, 17, 1, tzinfo=UTC)
    await timers.run_due(svc, svc.timers)
    await timers.run_due(svc, svc.timers)
    sent = [(u, texts(m)) for u, m in port.dms[1:]]
    assert [u for u, t in sent if "final summary" in t] == [ADMIN]  # the owner is the admin: told once
    assert "Pending (1)" in next(t for u, t in sent if "final summary" in t)


async def test_the_daily_refresh_adds_newcomers_and_marks_leavers_who_then_count_no_more(
    library: Database, workspace
) -> None:  # noqa: ANN001
    port, clock = members_port(), [NOW]
    svc = services(library, port, clock, workspace)
    await cascade.publish(
        svc, cascade_targets.parse("spam --to northwind --ack-by 2026-12-04", workspace, NOW.date()), ADMIN
    )
    port.channels[NORTHWIND] = [LEE, KAI]
    clock[0] = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert await cascade_members.refresh(svc) == 1
    row = await cascade_status.latest_cascade(svc, "spam")
    assert row is not None
    assert (await cascade_status.status(svc, row)).channels[0].members == (LEE, KAI)
    async with library.transaction() as session:
        left = await session.scalar(
            select(PolicyCascadeMember.left_at).where(PolicyCascadeMember.user_id == NICO)
        )
    assert left == clock[0]
    clock[0] = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)  # past the ack-by day: nothing to refresh
    assert await cascade_members.refresh(svc) == 0


async def test_a_pass_reaches_the_cascade_through_the_quiz_when_the_routes_are_registered(
    library: Database, workspace
) -> None:  # noqa: ANN001
    routes.register(Router())
    routes.register(Router())  # a second bot in the process: still one listener
    assert assign.PASS_LISTENERS.count(cascade_members.quiz_passed) == 1
    svc = services(library, members_port(), [NOW], workspace)
    req = cascade_targets.parse("spam --to northwind --ack-by 2026-12-04 --quiz spam", workspace, NOW.date())
    done = await cascade.publish(svc, req, ADMIN)
    await cascade_members.acknowledge(svc, done.cascade_id, LEE, NORTHWIND)
    step = await start(library, LEE, "spam", NOW)
    await answer(library, step.attempt_id, 0, LEE, Answer(chosen=(step.order.index(0),)), NOW)
    await assign.on_attempt_finished(svc, step.attempt_id)
    row = await cascade_status.latest_cascade(svc, "spam")
    assert row is not None and (await cascade_status.status(svc, row)).channels[0].passed == (LEE,)


def test_a_reminder_to_someone_who_acknowledged_starts_the_quiz_instead() -> None:
    from datetime import date as _date

    from bot.chat.model import Buttons
    from handlers.policy import cascade_views
    from handlers.policy.model import Policy
    from storage.models import PolicyCascade

    policy = Policy("spam", "Spam", "2", _date(2026, 11, 1), ("group:policy-owners",))
    row = PolicyCascade(
        cascade_id=7, policy_id="spam", version="2", ack_by=_date(2026, 12, 4), quiz_topic="spam-basics"
    )
    to_ack = cascade_views.reminder_message(policy, row, today=False)
    to_pass = cascade_views.reminder_message(policy, row, today=True, acked=True)
    ack_buttons = [p for p in to_ack.parts if isinstance(p, Buttons)][0].buttons
    quiz_buttons = [p for p in to_pass.parts if isinstance(p, Buttons)][0].buttons
    assert ack_buttons[0].action == cascade_views.ACK and quiz_buttons[0].action == "quiz:start"
    assert quiz_buttons[0].value == "spam-basics"


async def test_a_reminder_whose_dm_another_worker_still_holds_is_tried_again_not_skipped(
    library: Database, workspace
) -> None:  # noqa: ANN001
    """A worker died mid-DM to NICO, its lease on that DM still live when the timer is retaken: the run
    tells the others and comes back after that lease, so NICO is reminded once, and nobody twice."""
    from datetime import timedelta

    from bot import timers
    from handlers.policy.cascade_routes import REMIND, SUMMARY

    port, clock = members_port(), [NOW]
    svc = services(library, port, clock, workspace)
    svc.timers = {REMIND.kind: REMIND, SUMMARY.kind: SUMMARY}
    done = await cascade.publish(
        svc, cascade_targets.parse("spam --to northwind --ack-by 2026-12-03", workspace, NOW.date()), ADMIN
    )
    due = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    key = cascade_reminders.remind_key(done.cascade_id, due.date())
    await claims.take(
        library, f"{key}:{NICO}", "policy-cascade-dm", due + timedelta(seconds=30), owner="dead"
    )
    clock[0] = due + timedelta(seconds=60)
    await timers.run_due(svc, svc.timers)
    assert [u for u, _ in port.dms].count(LEE) == 1 and NICO not in [u for u, _ in port.dms]
    clock[0] = due + timedelta(hours=1)  # the dead worker's lease has run out: the timer comes back
    await timers.run_due(svc, svc.timers)
    told = [u for u, _ in port.dms]
    assert told.count(NICO) == 1 and told.count(LEE) == 1
