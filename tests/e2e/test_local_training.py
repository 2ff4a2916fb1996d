"""Training cohorts in the local workspace, end to end without a browser: the page's own HTTP calls
against `tsqa run --local` in-process, through the same handlers as Slack and Teams. A trainer's
`/training new` opens the modal and makes the cohort, posted in the channel with everyone welcomed;
the labeler's reminder has Check in (a double click records once); `/training status` shows who is
ready, who is at risk and why, and the projected go-live.

The local run takes no clock of its own: the bot's clock is set to the stories' Monday before it starts
(as the Slack and Teams stories run on theirs), while the page keeps the real time for its messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
from icalendar import Calendar
from sqlalchemy import func, select

from bot.config import Settings
from bot.local.run import LocalRun
from bot.workspace import Workspace
from storage.engine import Database
from storage.models import TrainingAttendance
from tests.e2e.escalate_flow import Clock, run_timers
from tests.e2e.test_local_policy import modal, submit
from tests.e2e.test_local_quiz import QA_OPS, Page, example_workspace, polled, read
from tests.e2e.training_flow import KAI, LEE, NOW, QUINN, TARA, training_workspace

FIRST_CHECK_IN = datetime(2026, 12, 2, 8, 45, tzinfo=UTC)  # Wed 2 Dec (Tue 1 is a holiday in PT)
AFTER_WELCOME = datetime(2026, 12, 2, 11, 30, tzinfo=UTC)  # the welcome ran 09:00-11:00 Lisbon time


@asynccontextmanager
async def local_on(
    database_url: str, workspace: Workspace, clock: Clock
) -> AsyncIterator[tuple[LocalRun, Page]]:
    """`tsqa run --local` with the bot on the test's clock."""
    settings = Settings(
        database_url=database_url, host="127.0.0.1", port=0, log_level="WARNING", _env_file=None
    )
    run = LocalRun(settings, workspace, save_delay=0.05)
    run.bot.services.clock = clock
    await run.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield run, Page(run.url, session)
    finally:
        await run.stop()


def filled(**given: str) -> dict[str, Any]:
    """The new-cohort modal as a trainer fills it: `{block_id: value}`, as the page submits it."""
    values = {
        "name": "lisbon-dec", "vendor": "northwind", "site": "lisbon", "queues": "hate-en",
        "plan": "new-labeler", "start": "2026-12-02", "target": "2026-12-31",
        "trainers": f"<@{TARA}>", "labelers": f"<@{LEE}> <@{KAI}>",
    }  # fmt: skip
    return {**values, **given}


async def attendance_rows(database_url: str) -> int:
    db = Database(database_url)
    async with db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(TrainingAttendance))
    await db.dispose()
    return int(count or 0)


async def calendar_events(page: Page, person: str) -> list[Any]:
    """The events of the .ics file the bot sent to the person's DM, once it is there."""
    dm = await page.dm(person)

    async def shared() -> list[dict[str, Any]]:
        shown = (await page.view(person, dm))["messages"]
        return [f for m in shown for f in m.get("files") or [] if f["name"] == "lisbon-dec.ics"]

    [file] = await polled(shared, bool)
    return list(Calendar.from_ical(await page.download(file)).walk("VEVENT"))


async def new_cohort(page: Page) -> dict[str, Any]:
    """`/training new` in qa-ops, the modal filled and submitted; the cohort as posted in qa-ops."""
    await page.send(TARA, "/training new")
    form = await modal(page, TARA)
    assert form["title"]["text"] == "New training cohort"
    assert {b.get("block_id") for b in form["blocks"]} >= {"name", "site", "plan", "labelers"}
    assert await submit(page, TARA, filled()) == {"ok": True}
    [posted] = await page.messages(QUINN, QA_OPS, "Training cohort lisbon-dec created")
    return posted


async def test_a_cohort_from_the_modal_a_double_check_in_and_the_status(database_url) -> None:
    clock = Clock(NOW)
    workspace = training_workspace(example_workspace())
    async with local_on(database_url, workspace, clock) as (run, page):
        # A labeler may not create one: the router refuses before any modal opens.
        await page.send(LEE, "/training new")
        assert await page.messages(LEE, QA_OPS, "⛔")
        assert (await page.view(LEE, QA_OPS))["modal"] is None

        posted = await new_cohort(page)
        shown = read(posted)
        assert "2 labelers" in shown and "Wed 02 Dec 09:00 WET" in shown and "Tue 01 Dec" not in shown
        await run_timers(run.bot)
        for person, role in ((TARA, "train"), (LEE, "join"), (KAI, "join")):
            assert await page.messages(
                person, await page.dm(person), f"You {role} training cohort lisbon-dec"
            )

        # Wed 2 Dec 08:45: the 15-minute reminder; Lee clicks Check in twice, one row is kept.
        clock.now = FIRST_CHECK_IN
        await run_timers(run.bot)
        lee_dm = await page.dm(LEE)
        [reminder] = await page.messages(LEE, lee_dm, "in 15 min")
        assert "Welcome and tools tour" in read(reminder)
        await page.click(LEE, reminder, "Check in")
        await page.click(LEE, reminder, "Check in")
        assert await page.messages(LEE, lee_dm, "Checked in to Welcome and tools tour at 08:45")
        assert await page.messages(LEE, lee_dm, "already")
        assert await attendance_rows(database_url) == 1

        # After the welcome: Kai missed it. Neither has a labeler ID yet (no roster sent), which the
        # status says too. Hand-counted: 5 sessions to attend + 1 check + nesting = 7 each; nesting
        # Fri 4, Mon 7, Wed 9, Thu 10, Fri 11 Dec (Tue 8 a holiday): go-live Mon 14 Dec.
        clock.now = AFTER_WELCOME
        await page.send(TARA, "/training status lisbon-dec")
        [status] = await page.messages(TARA, QA_OPS, "labelers ready")
        shown = read(status)
        assert "Cohort lisbon-dec: 0 of 2 labelers ready" in shown, shown
        assert "Projected go-live Mon 14 Dec 2026, target Thu 31 Dec 2026" in shown
        assert f"<@{KAI}>: missed Welcome and tools tour on Wed 02 Dec" in shown
        assert f"<@{LEE}> · 1/7 done" in shown and f"<@{KAI}> · 0/7 done" in shown

        # The calendar file in the trainer's DM: one event per session, 11 by hand (5 sessions, the
        # check, 5 nesting days), the first on Wed 2 Dec at 09:00 in Lisbon.
        await page.send(TARA, "/training calendar lisbon-dec")
        assert await page.messages(TARA, QA_OPS, "I sent you the calendar file for lisbon-dec")
        events = await calendar_events(page, TARA)
        assert len(events) == 11 and len({str(e["UID"]) for e in events}) == 11
        first = min(e.decoded("DTSTART") for e in events)
        assert first.isoformat() == "2026-12-02T09:00:00+00:00" and str(first.tzinfo) == "Europe/Lisbon"
