"""Once and never lost, in one bot process: digest keys carry their scope, a manual post counts as the
scheduled one, failed posts are retried with back-off and then told to the admins once, one admin
who cannot be reached does not silence the others, and a stop lets a running job finish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

import aiohttp
import pytest
from apscheduler.triggers.date import DateTrigger

from bot.chat.model import Message
from bot.routing import Job, Router
from bot.timers import run_due
from bot.workspace import DigestSchedule
from handlers.digest.posting import POST, post_due, post_key
from storage import claims
from tests.e2e.harness import eventually, running_bot, settled

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)  # 10:15 in Dublin
DAY = date(2026, 11, 23)
LEAD = "U0QALEAD1"


class Clock:
    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def digest_posts(fake, channel: str = "C0DIGEST1") -> list:
    return [m for m in fake.messages_in(channel) if "Queue digest" in (m.text or "")]


def dms_to(fake, user: str) -> list[str]:
    return [m.text or "" for m in fake.messages_in(fake.dm_channel(user))]


def at(*schedules: DigestSchedule):  # noqa: ANN201
    return lambda workspace: workspace.model_copy(update={"digests": list(schedules)})


ELEVEN = DigestSchedule(channel="C0DIGEST1", at="11:00")


@asynccontextmanager
async def eleven_oclock(workspace, database_url: str) -> AsyncIterator[tuple]:
    """A bot with an 11:00 digest, started at 10:15 (so the start-up catch-up leaves it alone) and then
    moved to 11:15: the test decides what happens to the due post. Keyed posts retry without pausing."""
    clock = Clock()
    async with running_bot(at(ELEVEN)(workspace), database_url, clock=clock) as (bot, slack):
        await settled(bot)
        clock.now = NOW + timedelta(hours=1)
        bot.port.keyed.pause = 0
        yield bot, slack, clock, ELEVEN


async def test_two_digests_for_one_channel_with_different_scopes_both_post(workspace, loaded_url) -> None:
    ws = at(
        DigestSchedule(channel="C0DIGEST1", at="09:00", vendors=["northwind"]),
        DigestSchedule(channel="C0DIGEST1", at="09:30", vendors=["bluebird"]),
    )(workspace)
    async with running_bot(ws, loaded_url, clock=Clock()) as (_bot, slack):
        posts = await eventually(lambda: len(digest_posts(slack.fake)) == 2 and digest_posts(slack.fake), 20)
        titles = sorted(p.text for p in posts)
        assert "Northwind" in titles[1] and "Bluebird" in titles[0]


async def test_a_manual_post_counts_as_the_scheduled_one_and_the_other_way_round(
    workspace, loaded_url
) -> None:
    later = DigestSchedule(channel="C0DIGEST1", at="11:00")
    clock = Clock()
    async with running_bot(at(later)(workspace), loaded_url, clock=clock) as (bot, slack):
        reply = (await slack.command("/digest", f"post {DAY}", user=LEAD, channel="C0DIGEST1")).json()
        assert "Posted the digest" in str(reply)
        assert len(digest_posts(slack.fake)) == 1
        clock.now = NOW + timedelta(hours=1)  # 11:15: the schedule's time has come
        await post_due(bot.services, later)
        assert len(digest_posts(slack.fake)) == 1
        again = (await slack.command("/digest", f"post {DAY}", user=LEAD, channel="C0DIGEST1")).json()
        assert "already in this channel" in str(again)
        assert len(digest_posts(slack.fake)) == 1
        # a vendor's scope is another post in the same channel
        await slack.command("/digest", f"post northwind {DAY}", user=LEAD, channel="C0DIGEST1")
        assert len(digest_posts(slack.fake)) == 2


async def test_a_failing_scheduled_post_is_retried_with_back_off_and_posts_once(
    workspace, loaded_url
) -> None:
    async with eleven_oclock(workspace, loaded_url) as (bot, slack, clock, schedule):
        slack.fake.fail_next("chat.postMessage", status=503, times=6)  # two attempts of three tries
        await post_due(bot.services, schedule)
        key = f"digest-job:{post_key('C0DIGEST1', DAY, None)}"
        row = await claims.state(bot.db, key)
        assert row.attempts == 1 and row.done_at is None and "fatal_error" in (row.last_error or "")
        assert await run_due(bot.services, bot.services.timers) == 0  # not before its back-off
        clock.now += timedelta(minutes=1)
        await run_due(bot.services, bot.services.timers)
        assert (await claims.state(bot.db, key)).attempts == 2
        assert digest_posts(slack.fake) == []
        clock.now += timedelta(minutes=2)
        await run_due(bot.services, bot.services.timers)
        assert len(digest_posts(slack.fake)) == 1
        assert (await claims.state(bot.db, key)).result == "posted"
        assert not any("could not be posted" in t for t in dms_to(slack.fake, LEAD))


async def test_a_post_that_fails_all_day_tells_the_admins_once(workspace, loaded_url) -> None:
    async with eleven_oclock(workspace, loaded_url) as (bot, slack, clock, schedule):
        # every attempt fails (the fake's faults are per method, so exactly the posts fail, not the DM)
        slack.fake.error_next("chat.postMessage", "is_archived", times=POST.max_attempts)
        await post_due(bot.services, schedule)
        for _ in range(30):  # the back-off doubles up to 30 minutes; the day ends first
            clock.now += timedelta(minutes=31)
            await run_due(bot.services, bot.services.timers)
        told = [t for t in dms_to(slack.fake, LEAD) if "could not be posted" in t]
        assert len(told) == 1 and "is_archived" in told[0] and f"/digest post {DAY}" in told[0]
        await post_due(bot.services, schedule)  # the cron firing again changes nothing
        clock.now += timedelta(hours=3)
        await run_due(bot.services, bot.services.timers)
        assert len([t for t in dms_to(slack.fake, LEAD) if "could not be posted" in t]) == 1
        assert digest_posts(slack.fake) == []


async def test_one_admin_who_cannot_be_reached_does_not_silence_the_others(workspace, database_url) -> None:
    ws = at(DigestSchedule(channel="C0DIGEST1", at="09:00"))(workspace)
    ws = ws.model_copy(update={"admins": ["U0GONE001", LEAD]})  # the first admin has left: no such user
    async with running_bot(ws, database_url, clock=Clock()) as (_bot, slack):
        notes = await eventually(lambda: [t for t in dms_to(slack.fake, LEAD) if "no queue data" in t], 20)
        assert len(notes) == 1
        fake = slack.fake
    async with running_bot(ws, database_url, clock=Clock(), fake=fake) as (bot, slack):
        await settled(bot)  # the start-up catch-up has run: a second note would be here
        assert len([t for t in dms_to(slack.fake, LEAD) if "no queue data" in t]) == 1


async def test_stopping_the_bot_lets_a_running_job_finish(workspace, database_url) -> None:
    started = asyncio.Event()

    async def slow_job(services) -> None:  # noqa: ANN001
        started.set()
        await asyncio.sleep(1.0)  # e.g. a chart being drawn when the deploy's SIGTERM arrives
        await services.port.post("C0QAOPS01", Message.text("job finished"))

    router = Router()
    when = datetime.now(UTC) + timedelta(seconds=0.2)
    router.jobs(lambda _ws: [Job("test.slow", DateTrigger(run_date=when), slow_job)])
    async with running_bot(at()(workspace), database_url, router=router) as (_bot, slack):
        await asyncio.wait_for(started.wait(), 10)
        fake = slack.fake
    assert [m.text for m in fake.messages_in("C0QAOPS01")] == ["job finished"]


async def test_a_post_whose_connection_drops_after_slack_stored_it_appears_once(
    workspace, loaded_url
) -> None:
    async with eleven_oclock(workspace, loaded_url) as (bot, slack, clock, schedule):
        slack.fake.drop_after_store("chat.postMessage")  # stored, then no answer: the client cannot know
        await post_due(bot.services, schedule)
        assert len(digest_posts(slack.fake)) == 1
        assert slack.fake.calls_to("conversations.history")  # it looked for its key before trying again
        key = post_key("C0DIGEST1", DAY, None)
        assert (await claims.state(bot.db, key)).result == digest_posts(slack.fake)[0].ts


async def test_posts_dms_and_ephemerals_without_a_meaning_key_are_not_doubled_either(
    workspace, database_url
) -> None:
    async with running_bot(at()(workspace), database_url, clock=Clock()) as (bot, slack):
        bot.port.keyed.pause = 0
        slack.fake.drop_after_store("chat.postMessage")
        await bot.services.tell_admins(Message.text("check the queue"), key="test-notice")
        assert dms_to(slack.fake, LEAD).count("check the queue") == 1
        slack.fake.drop_after_store("chat.postMessage")
        await bot.port.post("C0QAOPS01", Message.text("hello"))  # no key: a fresh one guards the call
        assert [m.text for m in slack.fake.messages_in("C0QAOPS01")].count("hello") == 1
        slack.fake.drop_after_store("chat.postEphemeral")
        with pytest.raises(aiohttp.ClientError):  # not sent again: it may well have arrived
            await bot.port.ephemeral("C0QAOPS01", LEAD, Message.text("only you"))
        shown = slack.fake.messages_in("C0QAOPS01", include_ephemeral_for=LEAD)
        assert [m.text for m in shown].count("only you") == 1


async def test_a_chart_upload_taken_over_after_a_crash_is_not_uploaded_twice(workspace, loaded_url) -> None:
    from handlers.digest.posting import CHART_TIMER, chart_in_thread

    clock = Clock()
    async with running_bot(at()(workspace), loaded_url, clock=clock) as (bot, slack):
        await settled(bot)
        ref = await bot.port.post("C0DIGEST1", Message.text("Queue digest · all queues"))
        payload = {
            "channel": ref.channel,
            "ts": ref.ts,
            "day": DAY.isoformat(),
            "tz": "Europe/Dublin",
            "queues": None,
        }
        await claims.schedule(bot.db, "chart:test", CHART_TIMER, NOW, NOW, payload)
        [_crashed] = await claims.take_due(bot.db, NOW, [CHART_TIMER], owner="killed")
        await chart_in_thread(bot.services, ref, DAY, "Europe/Dublin", None)  # uploaded, then SIGKILL
        clock.now = NOW + claims.LEASE + timedelta(seconds=1)
        await run_due(bot.services, bot.services.timers)  # the lease ran out: taken over
        uploads = slack.fake.calls_to("files.completeUploadExternal")
        assert len(uploads) == 1
        assert (await claims.state(bot.db, "chart:test")).done_at is not None
