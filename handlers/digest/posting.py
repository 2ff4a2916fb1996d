"""Posting a channel's daily digest exactly once, with its chart in the thread.

A scheduled digest is a durable timer (`digest.post`, one per channel, scope and day): the cron job
and the catch-up at start only make it due; whichever replica takes it posts. The post itself is a
claim keyed by what it means, `digest:{channel}:{day}:{scope}`, which a manual `/digest post` of the
same scope and day takes too, so the two never both appear. A failed post is tried again with
back-off until the end of its day, then the admins are told once; the chart is a timer of its own,
so a chart that fails never reposts the digest.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import timers
from bot.chat.model import Message, MessageRef, channel, command, md
from bot.context import Services
from bot.routing import Timer
from bot.workspace import DigestSchedule, Workspace
from handlers.digest.chart import DAYS, chart_frame, render_chart
from handlers.digest.service import digest_for_day, open_escalations, schedule_queues
from handlers.digest.views import digest_message
from handlers.queue_data.aggregate import DailyAggregates
from storage import claims, queue_data

log = logging.getLogger("tsqa.digest")

POST_TIMER = "digest.post"
CHART_TIMER = "digest.chart"


def schedule_tz(workspace: Workspace, schedule: DigestSchedule) -> str:
    return schedule.timezone or workspace.timezone


def scope_label(workspace: Workspace, schedule: DigestSchedule) -> str:
    if schedule.vendors:
        return ", ".join(v.name for v in workspace.vendors if v.id in schedule.vendors)
    if schedule.queues:
        return ", ".join(q.name for q in workspace.queues if q.id in schedule.queues)
    return "all queues"


def post_key(channel: str, day: date, queues: list[str] | None) -> str:
    """What a digest post means: this channel, this day, these queues (a vendor is its queues)."""
    scope = "all" if queues is None else ",".join(sorted(queues))
    if len(scope) > 80:
        scope = "h" + hashlib.sha256(scope.encode()).hexdigest()[:24]
    return f"digest:{channel}:{day}:{scope}"


async def chart_png(services: Services, day: date, tz: str, queues: list[str] | None) -> bytes:
    """Per queue when few, else per vendor: a chart with more than six lines helps nobody."""
    workspace = services.workspace
    first = day - timedelta(days=DAYS - 1)
    async with services.db.transaction() as session:
        labeler_days, pairs = await queue_data.load_daily(session, tz, first, day, queues)
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

    def draw() -> bytes:  # pandas and matplotlib: seconds of CPU that must not stall the event loop
        totals = DailyAggregates(tz, labeler_days, pairs).totals
        frame = chart_frame(totals, level, keys, day)
        return render_chart(frame, targets, names, f"Output vs target and SLA, {first} to {day}")

    return await asyncio.to_thread(draw)


async def chart_in_thread(
    services: Services, ref: MessageRef, day: date, tz: str, queues: list[str] | None, *, again: bool = False
) -> None:
    """The digest's 14-day chart, uploaded under the digest message it belongs to; `again` when an
    earlier attempt may have uploaded it (it is then looked for first)."""
    png = await chart_png(services, day, tz, queues)
    title = f"Output and SLA, 14 days to {day}"
    await services.port.upload_file(
        ref.channel, f"digest-{day}.png", png, title=title, thread=ref, look_first=again
    )


async def post_once(
    services: Services, channel: str, day: date, tz: str, queues: list[str] | None, message: Message
) -> claims.Taken:
    """Post the digest for (channel, day, scope) unless it is there already, then make its chart due.
    `won` and `done`: posted now; `done` alone: posted before (result: its ts); neither: in progress."""
    key = post_key(channel, day, queues)

    async def send(taken: claims.Taken) -> str:
        ref = await services.port.post(channel, message, key=key, look_first=taken.retaken)
        payload = {"channel": ref.channel, "ts": ref.ts, "day": day.isoformat(), "tz": tz, "queues": queues}
        now = services.clock()
        await claims.schedule(services.db, f"chart:{key}", CHART_TIMER, now, now, payload)
        return ref.ts

    taken = await claims.once(services.db, key, "digest", services.clock, send)
    if taken.won:
        services.background.spawn(timers.run_due(services, services.timers), "digest chart")
    return taken


async def run_scheduled_post(services: Services, timer: claims.Taken) -> str:
    """The `digest.post` timer: the day's digest into the schedule's channel, or a word to the admins."""
    payload = timer.payload or {}
    channel, tz, queues = payload["channel"], payload["tz"], payload["queues"]
    day = date.fromisoformat(payload["day"])
    digest = await digest_for_day(services.db, services.workspace, day, tz=tz, queues=queues)
    if digest["overall"]["output"] == 0:
        await _tell_admins_no_data(services, payload, day)
        return "no data"
    title = f"Queue digest · {payload['label']}"
    escalations = await open_escalations(services.db, digest)
    message = digest_message(digest, title=title, scope=queues, escalations=escalations, now=services.clock())
    taken = await post_once(services, channel, day, tz, queues, message)
    if not taken.done:
        raise claims.Held(taken.key, taken.lease_until)
    return "posted" if taken.won else "already posted"


async def run_chart(services: Services, timer: claims.Taken) -> None:
    payload = timer.payload or {}
    ref = MessageRef(payload["channel"], payload["ts"])
    day = date.fromisoformat(payload["day"])
    await chart_in_thread(services, ref, day, payload["tz"], payload["queues"], again=timer.retaken)


async def _tell_admins_no_data(services: Services, payload: dict, day: date) -> None:
    """No data, no digest: the channel stays quiet and each admin hears it once, privately."""
    where = payload["channel"]
    note = md(
        "ℹ️ The {} digest for {} in {} was not posted: there is no queue data for {}. "
        "Load it, then run `{}` in that channel.",
        payload["at"], payload["label"], channel(where), day, command(f"digest post {day}"),
    )  # fmt: skip
    key = f"digest-no-data:{post_key(where, day, payload['queues'])}"
    await services.tell_admins(Message.text(note), key=key)


async def gave_up_posting(services: Services, timer: claims.Taken, error: str) -> None:
    payload = timer.payload or {}
    where, day = payload["channel"], payload["day"]
    note = md(
        "⚠️ The {} digest for {} in {} for {} could not be posted after {} tries "
        "(last error: `{}`). Once the cause is fixed, run `{}` in that channel.",
        payload["at"], payload["label"], channel(where), day, timer.attempts, error[:300],
        command(f"digest post {day}"),
    )  # fmt: skip
    await services.tell_admins(Message.text(note), key=f"digest-failed:{timer.key}")


POST = Timer(POST_TIMER, run_scheduled_post, give_up=gave_up_posting, max_attempts=12)
CHART = Timer(CHART_TIMER, run_chart, max_attempts=4)


def due_day(now: datetime, schedule: DigestSchedule, tz: str) -> date | None:
    """The day whose digest is due by `now`: yesterday, once today's posting time has passed."""
    local = now.astimezone(ZoneInfo(tz))
    hour, minute = map(int, schedule.at.split(":"))
    if local.time() < time(hour, minute):
        return None
    return local.date() - timedelta(days=1)


async def make_due(services: Services, schedule: DigestSchedule, day: date) -> str:
    """Make the schedule's post for `day` a due timer (once: again is a no-op), then run what is due."""
    tz = schedule_tz(services.workspace, schedule)
    queues = schedule_queues(services.workspace, schedule)
    zone = ZoneInfo(tz)
    until = datetime.combine(day + timedelta(days=2), time(0), zone)  # the end of the posting day
    payload = {
        "channel": schedule.channel, "day": day.isoformat(), "tz": tz, "queues": queues, "at": schedule.at,
        "label": scope_label(services.workspace, schedule), "until": until.isoformat(),
    }  # fmt: skip
    key = f"digest-job:{post_key(schedule.channel, day, queues)}"
    now = services.clock()
    await claims.schedule(services.db, key, POST_TIMER, now, now, payload)
    await timers.run_due(services, services.timers)
    row = await claims.state(services.db, key)
    return (row.result or row.last_error or "pending") if row else "pending"


async def catch_up(services: Services) -> None:
    """At start: any of today's digests whose time has passed while the bot was down is made due."""
    for schedule in services.workspace.digests:
        tz = schedule_tz(services.workspace, schedule)
        day = due_day(services.clock(), schedule, tz)
        if day is None and services.local:
            day = services.clock().astimezone(ZoneInfo(tz)).date() - timedelta(days=1)
        if day is not None:
            outcome = await make_due(services, schedule, day)
            log.info("catch-up digest for %s on %s: %s", schedule.channel, day, outcome)


async def post_due(services: Services, schedule: DigestSchedule) -> None:
    """The cron job: yesterday's digest (in the schedule's timezone) becomes due now."""
    tz = schedule_tz(services.workspace, schedule)
    day = services.clock().astimezone(ZoneInfo(tz)).date() - timedelta(days=1)
    outcome = await make_due(services, schedule, day)
    log.info("scheduled digest for %s on %s: %s", schedule.channel, day, outcome)
