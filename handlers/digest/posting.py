"""Posting a channel's daily digest exactly once, with its chart in the thread.

The post is claimed in the database before it is sent: a restart, a second replica or a retried
job finds the claim and does nothing. A failed send releases the claim so the next attempt posts.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.chat.model import Message, MessageRef
from bot.context import Services
from bot.workspace import DigestSchedule, Workspace
from handlers.digest.aggregate import DailyAggregates
from handlers.digest.chart import DAYS, chart_frame, render_chart
from handlers.digest.service import digest_for_day, schedule_queues
from handlers.digest.views import digest_message
from storage import digest_posts, queue_data
from storage.claims import claim

log = logging.getLogger("tsqa.digest")


def schedule_tz(workspace: Workspace, schedule: DigestSchedule) -> str:
    return schedule.timezone or workspace.timezone


def scope_label(workspace: Workspace, schedule: DigestSchedule) -> str:
    if schedule.vendors:
        return ", ".join(v.name for v in workspace.vendors if v.id in schedule.vendors)
    if schedule.queues:
        return ", ".join(q.name for q in workspace.queues if q.id in schedule.queues)
    return "all queues"


async def chart_png(services: Services, day: date, tz: str, queues: list[str] | None) -> bytes:
    """Per queue when few, else per vendor: a chart with more than six lines helps nobody."""
    workspace = services.workspace
    first = day - timedelta(days=DAYS - 1)
    async with services.db.transaction() as session:
        labeler_days, pairs = await queue_data.load_daily(session, tz, first, day, queues)
    totals = DailyAggregates(tz, labeler_days, pairs).totals
    chosen = [q for q in workspace.queues if queues is None or q.id in queues]
    if len(chosen) <= 6:
        level, keys = "queue", [q.id for q in chosen]
        targets = {q.id: q.targets.daily_output for q in chosen}
        names = {q.id: q.name for q in chosen}
    else:
        vendors = list(dict.fromkeys(q.vendor for q in chosen))
        level, keys = "vendor", vendors
        targets = {v: sum(q.targets.daily_output for q in chosen if q.vendor == v) for v in vendors}
        names = {v.id: v.name for v in workspace.vendors}
    frame = chart_frame(totals, level, keys, day)
    return render_chart(frame, targets, names, f"Output vs target and SLA, {first} to {day}")


async def chart_in_thread(
    services: Services, ref: MessageRef, day: date, tz: str, queues: list[str] | None
) -> None:
    """The digest's 14-day chart, uploaded under the digest message it belongs to."""
    png = await chart_png(services, day, tz, queues)
    await services.port.upload_file(
        ref.channel, f"digest-{day}.png", png, title=f"Output and SLA, 14 days to {day}", thread=ref
    )


async def post_digest(services: Services, schedule: DigestSchedule, day: date) -> str:
    """Post `day`'s digest into the schedule's channel unless it is already there; says what it did."""
    workspace = services.workspace
    tz = schedule_tz(workspace, schedule)
    queues = schedule_queues(workspace, schedule)
    channel = schedule.channel
    if await digest_posts.posted(services.db, channel, day):
        return "already posted"
    digest = await digest_for_day(services.db, workspace, day, tz=tz, queues=queues)
    if digest["overall"]["output"] == 0:
        return await _tell_admins_no_data(services, schedule, day)
    if not await digest_posts.claim_post(
        services.db, channel, day, scope_label(workspace, schedule), services.clock()
    ):
        return "already posted"
    try:
        title = f"Queue digest · {scope_label(workspace, schedule)}"
        ref = await services.port.post(channel, digest_message(digest, title=title, scope=queues))
    except Exception:
        await digest_posts.release_post(services.db, channel, day)
        raise
    await digest_posts.record_ts(services.db, channel, day, ref.ts)
    try:
        await chart_in_thread(services, ref, day, tz, queues)
    except Exception:  # the digest itself is out; a missing chart must not repost it
        log.exception("chart for %s on %s could not be posted", channel, day)
    return "posted"


async def _tell_admins_no_data(services: Services, schedule: DigestSchedule, day: date) -> str:
    """No data, no digest: the channel stays quiet and the admins hear it once, privately."""
    key = f"digest-no-data:{schedule.channel}:{day}"
    if await claim(services.db, key, "digest", services.clock()):
        scope = scope_label(services.workspace, schedule)
        note = Message.text(
            f":information_source: The {schedule.at} digest for {scope} in <#{schedule.channel}> "
            "was not posted: "
            f"there is no queue data for {day}. Load it, then run `/digest post {day}` in that channel."
        )
        await services.tell_admins(note)
    return "no data"


def due_day(now: datetime, schedule: DigestSchedule, tz: str) -> date | None:
    """The day whose digest is due by `now`: yesterday, once today's posting time has passed."""
    local = now.astimezone(ZoneInfo(tz))
    hour, minute = map(int, schedule.at.split(":"))
    if local.time() < time(hour, minute):
        return None
    return local.date() - timedelta(days=1)


async def catch_up(services: Services) -> None:
    """At start: post any of today's digests whose time has passed while the bot was down."""
    for schedule in services.workspace.digests:
        tz = schedule_tz(services.workspace, schedule)
        day = due_day(services.clock(), schedule, tz)
        if day is None and services.local:
            day = services.clock().astimezone(ZoneInfo(tz)).date() - timedelta(days=1)
        if day is not None:
            outcome = await post_digest(services, schedule, day)
            log.info("catch-up digest for %s on %s: %s", schedule.channel, day, outcome)


async def post_due(services: Services, schedule: DigestSchedule) -> None:
    """The scheduled job: post yesterday's digest (in the schedule's timezone)."""
    tz = schedule_tz(services.workspace, schedule)
    day = services.clock().astimezone(ZoneInfo(tz)).date() - timedelta(days=1)
    outcome = await post_digest(services, schedule, day)
    log.info("scheduled digest for %s on %s: %s", schedule.channel, day, outcome)
