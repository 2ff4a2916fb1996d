"""A training day end to end over signed HTTP against the Slack fake, on a controllable clock: reminders
24 h and 15 min before a session to each member once, Check in only in its window and once, the trainer's
roll call when the session ends with marks changed in place, and nobody else marking."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import TrainingAttendance
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import running_bot, texts
from tests.e2e.training_flow import (
    KAI,
    LEE,
    NOW,
    QUINN,
    TARA,
    cohort_named,
    count,
    create_cohort,
    mark_buttons,
    now_reads,
    pressed,
    training_workspace,
    with_text,
)

WELCOME = "Welcome and tools tour"  # welcome-1: Wed 2 Dec 09:00-11:00 in Lisbon (UTC+0 in winter)
TOMORROW = f"tomorrow: *{WELCOME}*"
SOON = f"in 15 min: *{WELCOME}*"


async def test_reminders_check_in_and_the_roll_call_of_one_session(workspace, database_url) -> None:
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02") == {}
        cohort = await cohort_named(bot)
        assert cohort.session("welcome-1").start == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

        clock.now = datetime(2026, 12, 1, 8, 59, tzinfo=UTC)  # a minute before 24 h ahead
        await run_timers(bot)
        assert not [p for p in (TARA, LEE, KAI) if with_text(slack, p, TOMORROW)]
        clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        await run_timers(bot)
        await run_timers(bot)
        for person in (TARA, LEE, KAI):
            assert len(with_text(slack, person, TOMORROW)) == 1, person

        # Check in before the window (it opens 15 min before the start): refused, saying when it opens.
        early = with_text(slack, LEE, TOMORROW)[0]
        said = await pressed(slack, early, "training-checkin", LEE)
        assert (
            said == f"⛔ Check-in for *{WELCOME}* is open from Wed 02 Dec 08:45 WET until it ends at 11:00."
        )
        assert await count(bot, TrainingAttendance) == 0

        clock.now = datetime(2026, 12, 2, 8, 45, tzinfo=UTC)
        await run_timers(bot)
        await run_timers(bot)
        for person in (TARA, LEE, KAI):
            assert len(with_text(slack, person, SOON)) == 1, person
        assert "Check in" in texts(with_text(slack, LEE, SOON)[0].blocks)
        assert "Check in" in texts(with_text(slack, KAI, SOON)[0].blocks)
        assert "Check in" not in texts(with_text(slack, TARA, SOON)[0].blocks)

        clock.now = datetime(2026, 12, 2, 9, 2, tzinfo=UTC)
        reminder = with_text(slack, LEE, SOON)[0]
        assert (
            await pressed(slack, reminder, "training-checkin", LEE)
            == f"✅ Checked in to *{WELCOME}* at 09:02."
        )
        clock.now = datetime(2026, 12, 2, 9, 3, tzinfo=UTC)
        again = await pressed(slack, reminder, "training-checkin", LEE)
        assert again == f"You checked in to *{WELCOME}* at 09:02 already."
        # Someone not a labeler of the cohort, with the value forged: refused, nothing stored.
        value = f"{cohort.id}|welcome-1"
        for other in (QUINN, TARA):
            said = await pressed(slack, reminder, "training-checkin", other, value=value)
            assert said == "⛔ That check-in is for the cohort's labelers.", other
        rows = await _attendance(bot)
        assert rows == [("welcome-1", LEE, "present", LEE)]

        # The session ends: the trainer's roll call, Lee checked in, Kai not; a button row per labeler.
        clock.now = datetime(2026, 12, 2, 10, 59, tzinfo=UTC)
        await run_timers(bot)
        assert not with_text(slack, TARA, "Attendance for")
        clock.now = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
        await run_timers(bot)
        await run_timers(bot)
        rolls = with_text(slack, TARA, f"Attendance for *{WELCOME}*")
        assert len(rolls) == 1
        late = await pressed(
            slack, with_text(slack, KAI, SOON)[0], "training-checkin", KAI
        )  # the window closed
        assert (
            late == f"⛔ Check-in for *{WELCOME}* is open from Wed 02 Dec 08:45 WET until it ends at 11:00."
        )
        assert await count(bot, TrainingAttendance) == 1
        assert not with_text(slack, LEE, "Attendance for") and not with_text(slack, KAI, "Attendance for")
        roll = rolls[0]
        assert f"<@{LEE}> · checked in 09:02" in texts(roll.blocks)
        assert f"<@{KAI}> · not checked in" in texts(roll.blocks)
        marks = mark_buttons(roll)
        assert set(marks) == {(u, s) for u in (LEE, KAI) for s in ("present", "absent", "excused")} - {
            (LEE, "present")
        }

        await pressed(slack, roll, "training-mark:absent", TARA, value=marks[(KAI, "absent")]["value"])
        assert f"<@{KAI}> · absent" in texts(now_reads(slack, roll).blocks)
        await pressed(slack, roll, "training-mark:excused", TARA, value=marks[(KAI, "excused")]["value"])
        shown = texts(now_reads(slack, roll).blocks)
        assert f"<@{KAI}> · excused" in shown and f"<@{KAI}> · absent" not in shown
        assert len(with_text(slack, TARA, f"Attendance for *{WELCOME}*")) == 1  # updated, not posted again

        # A labeler pressing a mark button (their own row): refused, the row stays excused.
        said = await pressed(
            slack, roll, "training-mark:present", KAI, value=marks[(KAI, "present")]["value"]
        )
        assert said == "⛔ That cohort is run by its trainers, admins and the QA trainers."
        assert await _attendance(bot) == [
            ("welcome-1", LEE, "present", LEE),
            ("welcome-1", KAI, "excused", TARA),
        ]


async def _attendance(bot) -> list[tuple[str, str, str, str]]:  # noqa: ANN001
    async with bot.services.db.transaction() as session:
        rows = await session.execute(
            select(
                TrainingAttendance.session_id,
                TrainingAttendance.user_id,
                TrainingAttendance.status,
                TrainingAttendance.marked_by,
            ).order_by(TrainingAttendance.user_id)
        )
        return [tuple(r) for r in rows]
