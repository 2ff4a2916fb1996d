"""Training stories where the site's time zone is not UTC and the workspace's is not the site's, over
signed HTTP against the Slack fake on a controllable clock: a Manila cohort (UTC+8) laid, reminded,
checked in and rolled in Manila time around PH holidays; a start whose first session has passed at the
site refused; the weekly summary at the workspace's Monday 09:00 (Honolulu, UTC-10), stopping after its
last week and at once on close; a knowledge check's quiz due on the site's day of the check.

Every UTC time below is worked out by hand in its comment; Manila has no daylight saving, Honolulu none.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from bot.workspace import Workspace
from storage.models import Claim, QuizAssignment, TrainingCohort, TrainingSession
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.harness import running_bot, texts
from tests.e2e.test_quiz_assign import imported
from tests.e2e.training_flow import (
    KAI,
    LEE,
    NICO,
    NOW,
    QUINN,
    TARA,
    cohort_named,
    count,
    create_cohort,
    mark_buttons,
    pressed,
    said,
    training_workspace,
    with_text,
)

MANILA = {"name": "manila-dec", "site": "manila", "queues": "spam-pt"}  # spam-pt: Northwind at manila
WELCOME = "Welcome and tools tour"
TOMORROW = f"tomorrow: *{WELCOME}*"
SOON = f"in 15 min: *{WELCOME}*"
HONOLULU = "Pacific/Honolulu"  # UTC-10 all year


def in_zone(workspace: Workspace, timezone: str) -> Workspace:
    """The training workspace with its own timezone moved away from the sites' (and from UTC)."""
    return training_workspace(workspace).model_copy(update={"timezone": timezone})


def days(cohort: Any) -> list[date]:  # noqa: ANN401
    """Every day with a session, in the site's calendar."""
    return sorted({s.start.date() for s in cohort.sessions})


async def test_a_manila_cohort_is_laid_reminded_checked_in_and_rolled_in_manila_time(
    workspace, database_url
) -> None:
    # Created Mon 30 Nov 10:00 UTC: 10:00 in Dublin (the workspace), 18:00 in Manila.
    clock = Clock(NOW)
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02", **MANILA) == {}
        cohort = await cohort_named(bot, "manila-dec")
        # Wed 2 Dec 08:00 Manila = Wed 2 Dec 00:00 UTC; a 2 h session ends 10:00 Manila = 02:00 UTC.
        welcome = cohort.session("welcome-1")
        assert welcome.start == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
        assert welcome.end == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
        # 8.5 working hours a day: day 1 welcome 2 + process 3 + basics 3 (8 h); day 2 reading 4 + spam
        # 3 + the check 1, which runs 15:00-16:00 Manila = 07:00-08:00 UTC; then five nesting days.
        check = cohort.session("spam-check-1")
        assert (check.start, check.end) == (
            datetime(2026, 12, 3, 7, 0, tzinfo=UTC),
            datetime(2026, 12, 3, 8, 0, tzinfo=UTC),
        )
        # Nesting Fri 4, Mon 7, then Tue 8 Dec (Immaculate Conception) skipped: Wed 9, Thu 10, Fri 11.
        assert days(cohort) == [date(2026, 12, d) for d in (2, 3, 4, 7, 9, 10, 11)]

        # The 24-h reminder: Tue 1 Dec 00:00 UTC (08:00 Manila), not a minute before.
        clock.now = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
        await run_timers(bot)
        assert not [p for p in (TARA, LEE, KAI) if with_text(slack, p, TOMORROW)]
        clock.now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
        await run_timers(bot)
        for person in (TARA, LEE, KAI):
            assert len(with_text(slack, person, TOMORROW)) == 1, person
        assert "Wed 02 Dec 08:00 PST" in texts(with_text(slack, LEE, TOMORROW)[0].blocks)  # Philippine ST

        # Check in a minute before its window (07:45 Manila = 23:45 UTC the day before): refused.
        clock.now = datetime(2026, 12, 1, 23, 44, tzinfo=UTC)
        refused = f"⛔ Check-in for *{WELCOME}* is open from Wed 02 Dec 07:45 PST until it ends at 10:00."
        assert await pressed(slack, with_text(slack, LEE, TOMORROW)[0], "training-checkin", LEE) == refused
        await run_timers(bot)
        assert not [p for p in (TARA, LEE, KAI) if with_text(slack, p, SOON)]

        # The 15-min reminder and the window's first minute: Tue 1 Dec 23:45 UTC.
        clock.now = datetime(2026, 12, 1, 23, 45, tzinfo=UTC)
        await run_timers(bot)
        for person in (TARA, LEE, KAI):
            assert len(with_text(slack, person, SOON)) == 1, person
        soon = with_text(slack, LEE, SOON)[0]
        assert (
            await pressed(slack, soon, "training-checkin", LEE) == f"✅ Checked in to *{WELCOME}* at 07:45."
        )

        # The session's end, 10:00 Manila = 02:00 UTC: the window closes and the roll call comes.
        clock.now = datetime(2026, 12, 2, 1, 59, tzinfo=UTC)
        await run_timers(bot)
        assert not with_text(slack, TARA, f"Attendance for *{WELCOME}*")
        clock.now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
        assert await pressed(slack, with_text(slack, KAI, SOON)[0], "training-checkin", KAI) == refused
        await run_timers(bot)
        rolls = with_text(slack, TARA, f"Attendance for *{WELCOME}*")
        assert len(rolls) == 1
        assert "Wed 02 Dec 08:00 PST" in texts(rolls[0].blocks)
        assert f"<@{LEE}> · checked in 07:45" in texts(rolls[0].blocks)
        assert f"<@{KAI}> · not checked in" in texts(rolls[0].blocks)
        assert (KAI, "absent") in mark_buttons(rolls[0])

        # Over the year's end: Tue 29 Dec, then Wed 30 (Rizal Day), Thu 31 (New Year's Eve) and Fri 1 Jan
        # (New Year's Day) skipped with the weekend: day 2 is Mon 4 Jan, nesting Tue 5 to Mon 11 Jan.
        clock.now = NOW
        late = {"name": "manila-jan", "start": "2026-12-29", "target": "2027-01-29"}
        assert await create_cohort(slack, bot, **{**MANILA, **late}) == {}
        january = await cohort_named(bot, "manila-jan")
        assert days(january) == [date(2026, 12, 29)] + [date(2027, 1, d) for d in (4, 5, 6, 7, 8, 11)]
        # Mon 4 Jan 08:00 Manila = Mon 4 Jan 00:00 UTC.
        assert january.session("policy-reading-1").start == datetime(2027, 1, 4, 0, 0, tzinfo=UTC)


async def test_a_start_whose_first_session_has_passed_at_the_site_is_refused(workspace, database_url) -> None:
    # Wed 2 Dec 17:00 UTC: still Wed 2 Dec in Dublin, already Thu 3 Dec 01:00 in Manila.
    clock = Clock(datetime(2026, 12, 2, 17, 0, tzinfo=UTC))
    passed = (
        "The first session would begin Wed 02 Dec 08:00 at manila, which has passed there: "
        "start on a later day."
    )
    async with running_bot(training_workspace(workspace), database_url, clock=clock) as (bot, slack):
        answer = await create_cohort(slack, bot, start="2026-12-02", **MANILA)
        assert answer == {"response_action": "errors", "errors": {"start": passed}}
        # Wed 2 Dec 01:00 UTC: Wed 2 Dec in both, but 09:00 in Manila, past the 08:00 first session.
        clock.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
        answer = await create_cohort(slack, bot, start="2026-12-02", **MANILA)
        assert answer == {"response_action": "errors", "errors": {"start": passed}}
        assert await count(bot, TrainingCohort) == 0
        assert await count(bot, TrainingSession) == 0
        assert await count(bot, Claim, kind="training.remind") == 0

        # The next day is fine: Thu 3 Dec 08:00 Manila = Thu 3 Dec 00:00 UTC, after the clock.
        assert await create_cohort(slack, bot, start="2026-12-03", **MANILA) == {}
        cohort = await cohort_named(bot, "manila-dec")
        assert cohort.sessions[0].start == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)


async def summary_claims(bot: Any, cohort_id: int) -> dict[str, tuple[datetime, datetime | None]]:  # noqa: ANN401
    """The weekly summary timers of the cohort by day: (due, done)."""
    prefix = f"training-summary:{cohort_id}:"
    async with bot.services.db.transaction() as session:
        rows = (
            await session.execute(
                select(Claim.key, Claim.due_at, Claim.done_at).where(Claim.kind == "training.summary")
            )
        ).all()
    return {key.removeprefix(prefix): (due, done) for key, due, done in rows if key.startswith(prefix)}


HEADLINE = "Weekly training summary, *manila-dec*"


def summaries_to(slack: Any, person: str) -> int:  # noqa: ANN401
    return len(with_text(slack, person, HEADLINE))


async def test_the_weekly_summary_follows_the_workspace_zone_and_stops_after_its_last_week(
    workspace, database_url
) -> None:
    # The workspace in Honolulu (UTC-10): Monday 09:00 there is Monday 19:00 UTC. Created Mon 30 Nov
    # 10:00 UTC = Mon 30 Nov 00:00 in Honolulu, so the first summary is that same day at 19:00 UTC.
    clock = Clock(NOW)
    async with running_bot(in_zone(workspace, HONOLULU), database_url, clock=clock) as (bot, slack):
        # Go-live Mon 14 Dec (as in the first story), target Tue 15 Dec: the last summary day is a week
        # after the later, Tue 22 Dec, so the Mondays are 30 Nov, 7, 14 and 21 Dec and no 28 Dec.
        assert await create_cohort(slack, bot, start="2026-12-02", target="2026-12-15", **MANILA) == {}
        cohort = await cohort_named(bot, "manila-dec")
        assert await summary_claims(bot, cohort.id) == {
            "2026-11-30": (datetime(2026, 11, 30, 19, 0, tzinfo=UTC), None)
        }
        clock.now = datetime(2026, 11, 30, 18, 59, tzinfo=UTC)
        await run_timers(bot)
        assert not [p for p in (TARA, NICO, QUINN) if summaries_to(slack, p)]
        clock.now = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
        await run_timers(bot)
        for person in (TARA, NICO, QUINN):
            assert summaries_to(slack, person) == 1, person
        for week in (7, 14, 21):
            clock.now = datetime(2026, 12, week, 19, 0, tzinfo=UTC)
            await run_timers(bot)
        for person in (TARA, NICO, QUINN):
            assert summaries_to(slack, person) == 4, person
        claims = await summary_claims(bot, cohort.id)
        assert sorted(claims) == ["2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21"]
        assert all(done is not None for _, done in claims.values())
        assert claims["2026-11-30"][0] == datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
        for week in (7, 14, 21):
            assert claims[f"2026-12-{week:02d}"][0] == datetime(2026, 12, week, 19, 0, tzinfo=UTC)
        # Nobody is ready (no check-ins, no audits), yet nothing more comes.
        clock.now = datetime(2027, 1, 4, 19, 0, tzinfo=UTC)
        await run_timers(bot)
        assert summaries_to(slack, TARA) == 4


async def test_closing_a_cohort_stops_its_reminders_and_summaries_at_once(workspace, database_url) -> None:
    clock = Clock(NOW)
    async with running_bot(in_zone(workspace, HONOLULU), database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02", **MANILA) == {}
        cohort = await cohort_named(bot, "manila-dec")
        clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
        assert await said(slack, "close manila-dec", TARA) == (
            "Closed *manila-dec*: no more reminders, roll calls or summaries."
        )
        # Due after closing: the summary (Mon 30 Nov 19:00 UTC), the 24-h reminder (Tue 1 Dec 00:00 UTC),
        # the 15-min one (23:45 UTC) and the roll call (Wed 2 Dec 02:00 UTC).
        for moment in (
            datetime(2026, 11, 30, 19, 0, tzinfo=UTC),
            datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
            datetime(2026, 12, 1, 23, 45, tzinfo=UTC),
            datetime(2026, 12, 2, 2, 0, tzinfo=UTC),
        ):
            clock.now = moment
            await run_timers(bot)
        for person in (TARA, LEE, KAI, NICO, QUINN):
            assert not with_text(slack, person, TOMORROW) and not with_text(slack, person, SOON), person
            assert not summaries_to(slack, person), person
        assert not with_text(slack, TARA, "Attendance for")
        assert list(await summary_claims(bot, cohort.id)) == ["2026-11-30"]  # no next week set


async def test_a_knowledge_checks_quiz_is_due_on_the_sites_day_of_the_check(workspace, database_url) -> None:
    await imported(database_url)
    clock = Clock(NOW)
    async with running_bot(in_zone(workspace, HONOLULU), database_url, clock=clock) as (bot, slack):
        assert await create_cohort(slack, bot, start="2026-12-02", **MANILA) == {}
        # The check: Thu 3 Dec 15:00 Manila = Thu 3 Dec 07:00 UTC = Wed 2 Dec 21:00 in Honolulu.
        clock.now = datetime(2026, 12, 3, 6, 59, tzinfo=UTC)
        await run_timers(bot)
        assert await count(bot, QuizAssignment) == 0
        clock.now = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
        await run_timers(bot)
        async with bot.services.db.transaction() as session:
            rows = (
                await session.execute(
                    select(QuizAssignment.user_id, QuizAssignment.topic_id, QuizAssignment.due)
                )
            ).all()
        assert sorted(tuple(r) for r in rows) == [
            (LEE, "spam-basics", date(2026, 12, 3)),
            (KAI, "spam-basics", date(2026, 12, 3)),
        ]
