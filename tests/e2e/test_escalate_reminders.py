"""Escalation reminders through the durable timers, on a controllable clock: no acknowledgement in
time pings tier 1 again once, then pages tier 2 once (thread and DM); an owner silent for the update
interval is nudged once; a restart between raising and the reminder still reminds once; two bot
processes on one PostgreSQL fire a due reminder once."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.local.webapi import SlackWebAPI
from handlers.escalate import views
from tests.e2e.escalate_flow import (
    ESCALATIONS,
    REMY,
    ROBIN,
    Clock,
    change_severity,
    click,
    dms,
    opened_view,
    raise_one,
    run_timers,
    submit,
    text_value,
    thread,
)
from tests.e2e.harness import SlackSide, eventually, quiet, running_bot, seeded_fake, settled, texts
from tests.e2e.processes import start_bot, workspace_file

# Quick polls; a lease long enough that a replica stalled mid-post on a busy machine keeps its timer
# (past the lease the other replica takes the timer over, as after a crash, and says it again).
FAST = {"TSQA_LEASE_SECONDS": "8", "TSQA_TIMER_POLL_SECONDS": "0.3"}


def said(slack: SlackSide | SlackWebAPI, root: Any, words: str) -> int:  # noqa: ANN401
    """How many replies under the escalation's message say `words`."""
    fake = slack.fake if isinstance(slack, SlackSide) else slack
    replies = [m for m in fake.messages_in(ESCALATIONS, thread_ts=root.ts) if m.ts != root.ts]
    return sum(words in texts(m.blocks) for m in replies)


async def test_each_reminder_step_fires_once_at_its_time(workspace, database_url) -> None:
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        root = await raise_one(slack, bot, severity="SEV1")
        start = clock.now
        clock.now = start + timedelta(minutes=5) - timedelta(seconds=1)
        await run_timers(bot)
        assert said(slack, root, "is not acknowledged after") == 0
        clock.now = start + timedelta(minutes=5)
        await run_timers(bot)
        await run_timers(bot)  # a second poll (or replica) says nothing more
        assert said(slack, root, "is not acknowledged after 5 min") == 1
        [ping] = [m for m in thread(slack, ESCALATIONS, root) if "is not acknowledged" in texts(m.blocks)]
        assert f"<@{ROBIN}>" in texts(ping.blocks) and f"<@{REMY}>" not in texts(ping.blocks)
        assert dms(slack, REMY) == []

        clock.now = start + timedelta(minutes=10)
        await run_timers(bot)
        await run_timers(bot)
        assert said(slack, root, "Paging R&D escalation") == 1
        assert len(dms(slack, REMY)) == 1 and "no acknowledgement for 10 min" in texts(
            dms(slack, REMY)[0].blocks
        )
        clock.now = start + timedelta(hours=3)
        await run_timers(bot)
        assert said(slack, root, "Paging") == 1 and said(slack, root, "is not acknowledged") == 1

        # Acknowledged: the owner is nudged once after 30 minutes without an update (SEV1).
        await click(slack, root, views.ACK, ROBIN)
        await settled(bot)
        acked = clock.now
        clock.now = acked + timedelta(minutes=30) - timedelta(seconds=1)
        await run_timers(bot)
        assert said(slack, root, "no update on ESC-1") == 0
        clock.now = acked + timedelta(minutes=30)
        await run_timers(bot)
        await run_timers(bot)
        assert said(slack, root, "no update on ESC-1 for 30 min") == 1
        clock.now = acked + timedelta(hours=5)
        await run_timers(bot)
        assert said(slack, root, "no update on ESC-1") == 1  # once per step, not on every poll


async def test_a_severity_change_moves_the_reminders(workspace, database_url) -> None:
    """SEV3 waits an hour; raised to SEV1 after two minutes, tier 1 hears at five, not at sixty."""
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        root = await raise_one(slack, bot, severity="SEV3")
        start = clock.now
        clock.advance(minutes=2)
        await change_severity(slack, bot, root, "SEV1")
        clock.now = start + timedelta(minutes=5)
        await run_timers(bot)
        assert said(slack, root, "is not acknowledged after 5 min") == 1
        clock.now = start + timedelta(minutes=60)
        await run_timers(bot)  # the SEV3 reminder went quiet with the change
        assert said(slack, root, "is not acknowledged") == 1


async def test_a_restart_between_raising_and_the_reminder_reminds_once(workspace, database_url) -> None:
    clock = Clock()
    fake = seeded_fake(workspace)
    async with running_bot(quiet(workspace), database_url, clock=clock, fake=fake) as (bot, slack):
        root = await raise_one(slack, bot, severity="SEV2")
    clock.advance(minutes=15)
    async with running_bot(quiet(workspace), database_url, clock=clock, fake=fake) as (bot, slack):
        await run_timers(bot)
        await run_timers(bot)
        assert said(slack, root, "is not acknowledged after 15 min") == 1
        assert said(slack, root, "Paging") == 0


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_bot_processes_fire_a_due_reminder_once(workspace, database_url, tmp_path) -> None:
    """Raised (with the test's clock) twenty minutes ago; two real `tsqa run` processes on the real
    clock find tier 1's ping and tier 2's page due, and each is said once."""
    ws_path = workspace_file(tmp_path, digests=[])
    clock = Clock(datetime.now(UTC) - timedelta(minutes=40))
    fake = seeded_fake(workspace)
    async with running_bot(quiet(workspace), database_url, clock=clock, fake=fake) as (bot, slack):
        root = await raise_one(slack, bot, severity="SEV2")
    await fake.start()
    try:
        bots = [await start_bot(fake, database_url, tmp_path, ws_path, **FAST) for _ in range(2)]
        await asyncio.gather(*(b.healthy() for b in bots))
        assert await eventually(lambda: said(fake, root, "Paging") >= 1 and dms(fake, REMY), 60)
        await asyncio.sleep(1.5)  # both pollers had their turns after the page
        for b in bots:
            b.process.send_signal(signal.SIGTERM)
        assert [await b.wait() for b in bots] == [0, 0]  # each finished what it was saying
        assert said(fake, root, "is not acknowledged after") == 1
        assert said(fake, root, "Paging") == 1
        assert len(dms(fake, REMY)) == 1
    finally:
        await fake.stop()


async def test_an_update_or_a_severity_change_never_repeats_a_step(workspace, database_url) -> None:
    """Pinged at 5 and paged at 10 (SEV1); an update at 12 and a change to SEV2 at 13 say neither
    again, however long it stays unacknowledged."""
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        root = await raise_one(slack, bot, severity="SEV1")
        start = clock.now
        clock.now = start + timedelta(minutes=12)
        await run_timers(bot)
        assert said(slack, root, "is not acknowledged") == 1 and said(slack, root, "Paging") == 1
        before = len(slack.fake.calls_to("views.open"))
        await click(slack, root, views.UPDATE, REMY)
        view = await opened_view(slack, before)
        assert await submit(slack, view, REMY, {"update": text_value("still broken")}) == {}
        await settled(bot)
        clock.now = start + timedelta(minutes=13)
        await change_severity(slack, bot, root, "SEV2")
        clock.now = start + timedelta(hours=4)
        await run_timers(bot)
        assert said(slack, root, "is not acknowledged") == 1 and said(slack, root, "Paging") == 1
        assert len(dms(slack, REMY)) == 1, [m.text for m in dms(slack, REMY)]


async def test_raised_severity_gives_tier_one_an_interval_before_tier_two(workspace, database_url) -> None:
    """SEV3 for 20 minutes (no step due yet), then SEV1: tier 1 at once, tier 2 five minutes later,
    not both at the same moment."""
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        root = await raise_one(slack, bot, severity="SEV3")
        start = clock.now
        clock.now = start + timedelta(minutes=20)
        await change_severity(slack, bot, root, "SEV1")
        await run_timers(bot)
        assert said(slack, root, "is not acknowledged after 20 min") == 1 and said(slack, root, "Paging") == 0
        clock.now = start + timedelta(minutes=25) - timedelta(seconds=1)
        await run_timers(bot)
        assert said(slack, root, "Paging") == 0
        clock.now = start + timedelta(minutes=25)
        await run_timers(bot)
        assert said(slack, root, "Paging") == 1


async def test_a_page_that_fails_for_a_moment_is_tried_again_and_sent_once(workspace, database_url) -> None:
    """Slack fails the tier-2 DM once (an internal error): the page is retried after the back-off,
    reaches the person once, and the thread says it once."""
    clock = Clock()
    async with running_bot(quiet(workspace), database_url, clock=clock) as (bot, slack):
        root = await raise_one(slack, bot, severity="SEV1")
        start = clock.now
        clock.now = start + timedelta(minutes=5)
        await run_timers(bot)
        slack.fake.error_next("conversations.open", "internal_error")
        clock.now = start + timedelta(minutes=10)
        await run_timers(bot)
        assert said(slack, root, "Paging") == 1 and dms(slack, REMY) == []
        clock.now = start + timedelta(minutes=12)
        await run_timers(bot)
        assert said(slack, root, "Paging") == 1 and len(dms(slack, REMY)) == 1
