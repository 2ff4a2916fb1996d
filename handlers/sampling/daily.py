"""The daily audit draw: each queue's sample of yesterday's decisions, stored once, posted once with
the auditors' CSV; and every switch of inspection posted once, saying when and why.

`draw_day` is what `tsqa sampling draw` and the job share: it first judges the lots whose audits came
back (handlers/sampling/lots.py), so the plan follows the switching rules, then draws under that plan,
or reads the draw stored for that queue and day (the same sample, the same file, however often it runs).
The job is a durable timer per (queue, day): the cron at `sampling.time` and the catch-up at start only
make it due, and the post is a claim `sampling:{queue}:{day}`, so restarts and replicas post it once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot import once, timers
from bot.chat.model import ContextLine, Fields, Header, Message, MessageRef, Text, md
from bot.context import Services
from bot.exports import attach_csv
from bot.routing import Job, Timer
from bot.workspace import Queue, Workspace
from handlers.queue_data.ingest import day_bounds_us
from handlers.sampling import store
from handlers.sampling.draw import DrawRule, draw
from handlers.sampling.export import auditor_csv
from handlers.sampling.iso2859 import SamplingError
from handlers.sampling.lots import Judged, judge_returned
from handlers.sampling.plans import single_plan
from handlers.sampling.switching import Change
from storage import claims, queue_data
from storage.engine import Database
from storage.models import TrainingCohort, TrainingMember, TrainingSession

log = logging.getLogger("tsqa.sampling")

POST_TIMER = "sampling.post"


@dataclass(frozen=True)
class DayDraw:
    """One queue's day: the stored draw (None when nothing was drawn, `note` says why), whether this
    run drew it, and what judging the returned audits did first."""

    queue: Queue
    day: date
    stored: store.StoredDraw | None
    new: bool
    judged: Judged
    note: str = ""
    refused: bool = False  # the plan could not be given (a lot too small for the table): said in the channel

    def csv(self) -> bytes:
        assert self.stored is not None
        return auditor_csv(self.stored.drawn, self.queue)

    @property
    def filename(self) -> str:
        return f"audit-sample-{self.queue.id}-{self.day}.csv"


def _zone(workspace: Workspace, site_id: str) -> ZoneInfo:
    site = workspace.site(site_id)
    return ZoneInfo(site.timezone if site is not None else workspace.timezone)


async def nesting_labelers(db: Database, workspace: Workspace, queue: str, day: date) -> set[str]:
    """Labeler IDs of cohort members with a nesting session on `day` (the site's local day) in a
    cohort that nests on `queue`."""
    start, end = day_bounds_us(day - timedelta(days=1), day + timedelta(days=1), workspace.timezone)
    first, last = (datetime.fromtimestamp(us / 1_000_000, UTC) for us in (start, end))
    query = (
        select(
            TrainingSession.start_at, TrainingCohort.site, TrainingCohort.queues, TrainingMember.labeler_id
        )
        .join(TrainingCohort, TrainingCohort.cohort_id == TrainingSession.cohort_id)
        .join(TrainingMember, TrainingMember.cohort_id == TrainingSession.cohort_id)
        .where(
            TrainingSession.kind == "nesting",
            TrainingSession.start_at >= first,
            TrainingSession.start_at < last,
            TrainingMember.role == "labeler",
            TrainingMember.labeler_id.is_not(None),
        )
    )
    async with db.transaction() as session:
        rows = (await session.execute(query)).all()
    return {
        labeler
        for start_at, site, queues, labeler in rows
        if queue in json.loads(queues) and start_at.astimezone(_zone(workspace, site)).date() == day
    }


async def day_decisions(db: Database, workspace: Workspace, day: date, queues: list[str]) -> pa.Table:
    """These queues' decisions of `day` in the workspace timezone (the rest of the day is not read)."""
    start, end = day_bounds_us(day, day, workspace.timezone)
    async with db.transaction() as session:
        return await queue_data.decisions_between(session, start, end, queues=queues)


def _of_queue(decisions: pa.Table, queue: str) -> pa.Table:
    return decisions.filter(pc.equal(decisions["queue"], queue))


async def draw_day(
    db: Database,
    workspace: Workspace,
    queue_id: str,
    day: date,
    now: datetime,
    decisions: pa.Table | None = None,
) -> DayDraw:
    """Judge the queue's returned lots, then its draw for `day`: the stored one, else drawn now under
    the current inspection and stored. `decisions`: the day's decisions of this queue and maybe others,
    when the caller has read them already."""
    queue = workspace.queue(queue_id)
    if queue is None:
        raise ValueError(f"no queue {queue_id}")
    settings = workspace.sampling
    plan_settings = settings.plan_for(queue_id)
    judged = await judge_returned(
        db, queue.vendor, queue_id, plan_settings.start, settings.reduced_allowed, now
    )
    existing = await store.load_draw(db, queue_id, day)
    if existing is not None:
        return DayDraw(queue, day, existing, False, judged)
    if decisions is None:
        decisions = await day_decisions(db, workspace, day, [queue_id])
    rows = await asyncio.to_thread(_of_queue, decisions, queue_id)
    if rows.num_rows == 0:
        return DayDraw(queue, day, None, False, judged, f"no decisions on {queue_id} on {day}: nothing drawn")
    inspection = judged.state.inspection
    note = ""
    if inspection == "discontinued":
        inspection = "tightened"
        note = "inspection is discontinued until corrective action: audits go on under the tightened plan"
    if inspection == "reduced" and not settings.reduced_allowed:  # withdrawn: normal from the next lot on
        inspection = "normal"
        note = "reduced inspection is no longer allowed (sampling.reduced_allowed): back to normal"
    try:
        plan = single_plan(rows.num_rows, plan_settings.aql, plan_settings.level, inspection)
    except SamplingError as exc:
        return DayDraw(queue, day, None, False, judged, str(exc), refused=True)
    rule = DrawRule(
        sample_size=min(plan.sample_size, plan.lot),
        per_labeler_min=settings.per_labeler_min,
        nesting_min=settings.nesting_min,
        seed=settings.seed,
    )
    nesting = await nesting_labelers(db, workspace, queue_id, day)
    drawn = await asyncio.to_thread(draw, rows, rule, nesting, day=day)
    stored, won = await store.save_draw(db, queue.vendor, plan, drawn, now)
    return DayDraw(queue, day, stored, won, judged, note)


# ----- messages -----


def summary_message(result: DayDraw) -> Message:
    """The day's draw for the sampling channel: the plan, the size, who was sampled how much."""
    stored = result.stored
    queue = result.queue
    if stored is None:
        return Message.text(md("Audit sample · {} · {}: {}", queue.name, result.day, result.note))
    drawn = stored.drawn
    title = md("Audit sample · {} · {}", queue.name, result.day)
    nesting = sum(1 for labeler in drawn.labelers if labeler.nesting)
    fields = (
        md("*Decisions that day*\n{:,}", stored.lot_size),
        md("*Drawn*\n{:,} (plan {:,})", drawn.size, stored.sample_size),
        md("*Plan*\n{} inspection, AQL {:g}, level {}", stored.inspection, stored.aql, stored.level),
        md("*Accept / reject*\nAc {} · Re {}", stored.accept, stored.reject),
        md("*Labelers*\n{} ({} nesting)", len(drawn.labelers), nesting),
        md("*Seed*\n{}", stored.drawn.seed),
    )
    parts: list = [Header(title.plain), Fields(fields), Text(md("{}", stored.plan_note))]
    notes = [*drawn.notes, *([result.note] if result.note else [])]
    if result.judged.waiting is not None:
        waiting_day, back = result.judged.waiting
        notes.append(
            f"The switching rules wait for the audits of {waiting_day}: {back.audited} of {back.drawn} back."
        )
    if notes:
        parts.append(ContextLine(tuple(md("{}", n) for n in notes)))
    if drawn.size:
        parts.append(ContextLine((md("Auditors: fill in qa_decision and qa_auditor in the attached file."),)))
    summary = md("Audit sample for {} on {}: {:,} decisions", queue.name, result.day, drawn.size)
    return Message.of(summary, *parts)


def change_message(queue: Queue, change: Change, judged_on: date) -> Message:
    """A switch of inspection: when (after which lot, judged when) and why (the rule's reason)."""
    text = md(
        "🔁 *{}*: {} → {} inspection. When: after the lot of {} (its audits judged {}). Why: {}.",
        queue.name, change.before, change.after, change.lot, judged_on, change.reason,
    )  # fmt: skip
    return Message.text(text)


def draw_channel(workspace: Workspace, vendor: str | None = None) -> str | None:
    """Where the daily draw posts (the vendor's own channel when it has one): only for a workspace file
    with a `sampling:` section, so an older file (or one that never asked for audit samples) gets no
    new posts in its ingest channel."""
    if "sampling" not in workspace.model_fields_set:
        return None
    return workspace.sampling.draw_channel(list(workspace.ingest.channels), vendor)


async def post_changes(services: Services, result: DayDraw, channel: str) -> None:
    """Each switch judged from returned audits, once per (queue, lot day), whichever run judged it."""
    since = result.day - timedelta(days=60)
    for lot in await store.lots(services.db, result.queue.id, since=since):
        if lot.change is None:
            continue
        key = f"sampling-switch:{lot.vendor}:{lot.queue}:{lot.day}"
        judged_on = lot.applied_at.astimezone(services.workspace.tz).date()
        message = change_message(result.queue, lot.change, judged_on)
        await once.post(services, key, "sampling", channel, message)


async def post_day(services: Services, queue_id: str, day: date) -> str:
    """Draw (or read) the queue's day, post any switch, then the summary with the CSV, each once."""
    workspace = services.workspace
    queue = workspace.queue(queue_id)
    channel = draw_channel(workspace, queue.vendor if queue else None)
    result = await draw_day(services.db, workspace, queue_id, day, services.clock())
    if channel is None:
        return "no sampling channel"
    await post_changes(services, result, channel)
    if result.stored is None and result.refused:  # said once: nobody is left thinking the day was audited
        text = md("⚠️ No audit sample for {} on {}: {}", queue_id, day.isoformat(), result.note)
        await once.post(
            services, f"sampling-refused:{queue_id}:{day}", "sampling", channel, Message.text(text)
        )
        return "refused"
    if result.stored is None:
        if services.clock() < _settled(workspace, day):
            raise NoDecisionsYet(f"no decisions on {queue_id} on {day} yet")  # the timer looks again later
        log.info("sampling %s on %s: %s", queue_id, day, result.note)
        return result.note or "nothing drawn"
    stored = result.stored

    async def upload(ref: MessageRef, taken: claims.Taken) -> str:
        line = f"sampling draw --date {day} --queue {queue_id}"
        title = f"Audit sample {queue_id} {day}"
        await attach_csv(
            services.port, ref, result.filename, result.csv(), title, line, look_first=taken.retaken
        )
        return result.filename

    async def attach(ref: MessageRef) -> None:
        # The file is a claim of its own: a retry after it was uploaded (say the day's row failed to
        # record the post) finds it done, and one after a lost answer looks for it before uploading.
        if stored.drawn.size:
            key = f"sampling-csv:{queue_id}:{day}"
            taken = await claims.once(services.db, key, "sampling", services.clock, lambda t: upload(ref, t))
            if not taken.done:
                raise claims.Held(key, None)
        await store.set_posted(services.db, queue_id, day, ref.ts)

    ref = await once.post_recorded(
        services, f"sampling:{queue_id}:{day}", "sampling", channel, summary_message(result), attach
    )
    if ref is None:
        raise claims.Held(f"sampling:{queue_id}:{day}", None)
    return "posted"


class NoDecisionsYet(Exception):
    """The day's file has not arrived by the draw time: the timer tries again with back-off."""


SETTLE = timedelta(hours=12)  # how long after the draw time a day may still receive its decisions


def _settled(workspace: Workspace, day: date) -> datetime:
    hour, minute = map(int, workspace.sampling.time.split(":"))
    return datetime.combine(day + timedelta(days=1), time(hour, minute), workspace.tz) + SETTLE


# ----- the job -----


async def run_post(services: Services, timer: claims.Taken) -> str:
    payload = timer.payload or {}
    return await post_day(services, payload["queue"], date.fromisoformat(payload["day"]))


async def gave_up(services: Services, timer: claims.Taken, error: str) -> None:
    payload = timer.payload or {}
    note = md(
        "⚠️ The audit sample for {} on {} could not be posted after {} tries (last error: `{}`). "
        "Run `tsqa sampling draw --date {} --queue {}` for the file.",
        payload.get("queue"), payload.get("day"), timer.attempts, error[:300], payload.get("day"),
        payload.get("queue"),
    )  # fmt: skip
    await services.tell_admins(Message.text(note), key=f"sampling-failed:{timer.key}")


POST = Timer(POST_TIMER, run_post, give_up=gave_up, max_attempts=12)
CATCH_UP_DAYS = 7


def due_day(now: datetime, workspace: Workspace) -> date | None:
    """Yesterday (workspace time), once today's draw time has passed."""
    local = now.astimezone(workspace.tz)
    hour, minute = map(int, workspace.sampling.time.split(":"))
    if local.time() < time(hour, minute):
        return None
    return local.date() - timedelta(days=1)


async def make_due(services: Services, day: date) -> None:
    """Each queue's post for `day` as a due timer (once per queue and day), then run what is due."""
    workspace = services.workspace
    if draw_channel(workspace) is None:
        return
    now = services.clock()
    until = datetime.combine(day + timedelta(days=2), time(0), workspace.tz)
    for queue in workspace.queues:
        payload = {"queue": queue.id, "day": day.isoformat(), "until": until.isoformat()}
        await claims.schedule(services.db, f"sampling-job:{queue.id}:{day}", POST_TIMER, now, now, payload)
    await timers.run_due(services, services.timers)


async def draw_due(services: Services) -> None:
    """The cron job at `sampling.time`: yesterday's draws become due."""
    day = services.clock().astimezone(services.workspace.tz).date() - timedelta(days=1)
    await make_due(services, day)


async def catch_up(services: Services) -> None:
    """At start: every day since the last draw (at most CATCH_UP_DAYS) whose time passed while the bot
    was down; with no draw yet, only the last due day, so turning sampling on posts no backlog."""
    workspace = services.workspace
    last = due_day(services.clock(), workspace)
    if last is None:
        last = services.clock().astimezone(workspace.tz).date() - timedelta(days=2)
    latest = await store.latest_day(services.db)
    first = (
        last if latest is None else max(latest + timedelta(days=1), last - timedelta(days=CATCH_UP_DAYS - 1))
    )
    day = first
    while day <= last:
        await make_due(services, day)
        day += timedelta(days=1)


def jobs(workspace: Workspace) -> list[Job]:
    if draw_channel(workspace) is None:
        return []
    hour, minute = map(int, workspace.sampling.time.split(":"))
    trigger = CronTrigger(hour=hour, minute=minute, timezone=workspace.tz)
    return [Job("sampling.draw", trigger, draw_due)]
