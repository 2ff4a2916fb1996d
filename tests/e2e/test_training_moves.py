"""Moving a training session end to end over signed HTTP against the Slack fake, on a controllable clock:
the later sessions follow, each member is told once, the calendar file keeps each UID with its SEQUENCE
up, the old reminders stay silent while the new ones come; and a restart between scheduling and a
reminder still sends it once, at its time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar

from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import SlackSide, eventually, running_bot
from tests.e2e.training_flow import (
    KAI,
    LEE,
    NOW,
    TARA,
    cohort_named,
    create_cohort,
    said,
    training_workspace,
    with_text,
)

MOVE = "move lisbon-dec process-1 2026-12-03 09:00"
PROCESS = "Queue process and decision flow"
# process-1 (3 h) moved from Wed 2 Dec 11:00 to Thu 3 Dec 09:00; worked out by hand on 09:00-17:30 days:
# policy-basics Thu 12:00-15:00; reading's 4 h no longer fit Thursday: Fri 09:00-13:00, spam practice
# 13:00-16:00, the check 16:00-17:00; nesting Mon 7, (Tue 8 a holiday) Wed 9, Thu 10, Fri 11, Mon 14.
MOVED = {
    "process-1": "2026-12-03 09:00",
    "policy-basics-1": "2026-12-03 12:00",
    "policy-reading-1": "2026-12-04 09:00",
    "spam-practice-1": "2026-12-04 13:00",
    "spam-check-1": "2026-12-04 16:00",
    "nesting-1": "2026-12-07 09:00",
    "nesting-2": "2026-12-09 09:00",
    "nesting-3": "2026-12-10 09:00",
    "nesting-4": "2026-12-11 09:00",
    "nesting-5": "2026-12-14 09:00",
}


async def calendar_file(slack: SlackSide, user: str) -> dict[str, Any]:
    """`/training calendar lisbon-dec` as `user`; the uploaded file's events by UID."""
    before = len(slack.fake.state.files)
    assert await said(slack, "calendar lisbon-dec", user) == "I sent you the calendar file for *lisbon-dec*."
    assert await eventually(lambda: len(slack.fake.state.files) > before)
    uploaded = list(slack.fake.state.files.values())[-1]
    assert uploaded.name == "lisbon-dec.ics" and uploaded.channel == slack.fake.dm_channel(user)
    calendar = Calendar.from_ical(uploaded.data)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def by_session(events: dict[str, Any], session_id: str) -> Any:  # noqa: ANN401
    found = [e for uid, e in events.items() if uid.endswith(f"-{session_id}@tsqa")]
    assert len(found) == 1, (session_id, list(events))
    return found[0]


async def test_a_moved_session_tells_everyone_once_and_updates_the_calendar(workspace, database_url) -> None:
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        # The target is the go-live as laid out (Mon 14 Dec): the move makes it a working day late.
        assert await create_cohort(slack, bot, start="2026-12-02", target="2026-12-14") == {}
        await run_timers(bot)
        on_time = await said(slack, "status lisbon-dec", TARA)
        assert "✅ Projected go-live *Mon 14 Dec 2026*, target Mon 14 Dec 2026" in on_time
        before = await calendar_file(slack, TARA)
        assert len(before) == 11
        old_process = by_session(before, "process-1")
        assert int(old_process["SEQUENCE"]) == 0
        assert old_process.decoded("DTSTART") == datetime(2026, 12, 2, 11, 0, tzinfo=UTC)

        refused = await said(slack, MOVE, LEE)
        assert refused == "⛔ That cohort is run by its trainers, admins and the QA trainers."
        answer = await said(slack, MOVE, TARA)
        assert "Moved 10 session(s) of *lisbon-dec*; go-live now Tue 15 Dec 2026 (after the target)" in answer
        assert "`process-1` Thu 03 Dec 09:00 WET – 12:00" in answer
        assert "`nesting-5` Mon 14 Dec 09:00 WET – 17:30" in answer
        assert "welcome-1" not in answer
        again = await said(slack, MOVE, TARA)  # the same command sent twice: one move
        assert again == "Nothing moved: *lisbon-dec* is already at that time."
        await run_timers(bot)
        await run_timers(bot)
        for person in (TARA, LEE, KAI):
            notices = with_text(slack, person, "Training cohort *lisbon-dec*:", "moved")
            assert len(notices) == 1, person
            assert "10 session(s) moved" in str(notices[0].blocks)

        cohort = await cohort_named(bot)
        now_at = {s.id: f"{s.start:%Y-%m-%d %H:%M}" for s in cohort.sessions if s.id in MOVED}
        assert now_at == MOVED
        assert {s.id: s.sequence for s in cohort.sessions} == {
            s.id: (1 if s.id in MOVED else 0) for s in cohort.sessions
        }

        late = await said(slack, "status lisbon-dec", TARA)
        assert "⚠️ Projected go-live *Tue 15 Dec 2026*, 1 working day after the target Mon 14 Dec 2026" in late

        after = await calendar_file(slack, TARA)
        assert set(after) == set(before)  # the same UIDs: an import updates, never duplicates
        new_process = after[str(old_process["UID"])]
        assert int(new_process["SEQUENCE"]) == 1
        assert new_process.decoded("DTSTART") == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
        assert int(by_session(after, "welcome-1")["SEQUENCE"]) == 0
        assert int(by_session(after, "nesting-5")["SEQUENCE"]) == 1

        # The reminders at the old time (Tue 11:00 and Wed 10:45) stay silent; the new ones come once.
        tomorrow, soon = f"tomorrow: *{PROCESS}*", f"in 15 min: *{PROCESS}*"
        clock.now = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
        await run_timers(bot)
        assert not [p for p in (TARA, LEE, KAI) if with_text(slack, p, tomorrow)]
        clock.now = datetime(2026, 12, 2, 10, 45, tzinfo=UTC)
        await run_timers(bot)
        assert not [p for p in (TARA, LEE, KAI) if with_text(slack, p, soon)]
        for person in (TARA, LEE, KAI):  # the new 24 h one came at Wed 09:00
            assert len(with_text(slack, person, tomorrow, "Thu 03 Dec 09:00 WET")) == 1, person
        clock.now = datetime(2026, 12, 3, 8, 45, tzinfo=UTC)
        await run_timers(bot)
        await run_timers(bot)
        for person in (TARA, LEE, KAI):
            assert len(with_text(slack, person, soon)) == 1, person


async def test_a_reminder_scheduled_before_a_restart_is_sent_once_at_its_time(
    workspace, database_url
) -> None:
    clock = Clock(NOW)
    ws = training_workspace(workspace)
    async with running_bot(ws, database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02") == {}
        await run_timers(bot)
    tomorrow = "tomorrow: *Welcome and tools tour*"
    clock.now = datetime(2026, 12, 1, 8, 59, tzinfo=UTC)  # the 24 h reminder is due at 09:00
    async with running_bot(ws, database_url, clock=clock) as (bot, slack):  # a new bot, the same database
        await run_timers(bot)
        assert not [p for p in (TARA, LEE, KAI) if with_text(slack, p, tomorrow)]
        clock.advance(minutes=1)
        await run_timers(bot)
        await run_timers(bot)
        for person in (TARA, LEE, KAI):
            assert len(with_text(slack, person, tomorrow)) == 1, person
    async with running_bot(ws, database_url, clock=clock) as (bot, slack):  # and once more: nothing again
        await run_timers(bot)
        assert not [p for p in (TARA, LEE, KAI) if with_text(slack, p, tomorrow)]
