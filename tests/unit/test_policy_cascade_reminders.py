"""Policy cascade reminders and summary: the timers a publish schedules (and skips when late), moved with
the ack-by day, sent once each to the right people; the daily refresh of members (leavers kept and marked)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from handlers.policy import cascade, cascade_members, cascade_reminders, cascade_status, cascade_targets
from storage import claims
from storage.engine import Database
from storage.models import PolicyCascadeMember
from tests.unit.policy_cascade_fixtures import (
    ADMIN,
    BLUEBIRD,
    KAI,
    LEE,
    NICO,
    NORTHWIND,
    NOW,
    members_port,
    services,
    with_cascade_timers,
)
from tests.unit.policy_cascade_fixtures import library as library  # a fixture
from tests.unit.policy_cascade_fixtures import workspace as workspace  # a fixture, in place of conftest's
from tests.unit.test_quiz_assign import texts

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

    port, clock = members_port(), [NOW]
    svc = with_cascade_timers(services(library, port, clock, workspace))
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

    port, clock = members_port(), [NOW]
    svc = with_cascade_timers(services(library, port, clock, workspace))
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

    port, clock = members_port(), [NOW]
    svc = with_cascade_timers(services(library, port, clock, workspace))
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
