"""The digest of a day: from the stored daily figures, or straight from a file without storing it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.workspace import DigestSchedule, Workspace
from handlers.digest.metrics import build_digest
from handlers.escalate.open_list import open_on_queues
from handlers.queue_data.aggregate import DailyAggregates, daily_aggregates
from handlers.queue_data.corrections import overturned_count
from handlers.queue_data.frames import Source, read_backlog, read_decisions
from handlers.queue_data.ingest import day_bounds_us
from storage import queue_data
from storage.engine import Database
from storage.models.digest import DailyLabelerOutput
from storage.models.escalation import Escalation

# The digest compares with the previous day and the 7 days before it.
HISTORY_DAYS = 8


def scope_queues(workspace: Workspace, queues: list[str] = (), vendors: list[str] = ()) -> list[str] | None:
    """Queue ids for a scope given as queues and/or vendors; None means every queue."""
    if not queues and not vendors:
        return None
    chosen = set(queues) | {q.id for q in workspace.queues if q.vendor in vendors}
    return [q.id for q in workspace.queues if q.id in chosen]


def schedule_queues(workspace: Workspace, schedule: DigestSchedule) -> list[str] | None:
    return scope_queues(workspace, schedule.queues, schedule.vendors)


async def digest_for_day(
    db: Database, workspace: Workspace, day: date, *, tz: str | None = None, queues: list[str] | None = None
) -> dict[str, Any]:
    """Figures kept for good serve the workspace's and the digests' timezones; another timezone is
    computed from the raw decisions still within retention. Both count overturned appeals' labels;
    `overturned` says on how many of the day's decisions."""
    tz = tz or workspace.timezone
    first = day - timedelta(days=HISTORY_DAYS)
    async with db.transaction() as session:
        if tz in workspace.timezones():
            labeler_days, pairs = await queue_data.load_daily(session, tz, first, day)
            aggregates = DailyAggregates(tz, labeler_days, pairs)
        else:
            start, end = day_bounds_us(first, day, tz)
            aggregates = daily_aggregates(
                await queue_data.decisions_between(session, start, end), workspace, tz
            )
        start, end = day_bounds_us(day, day, tz)
        backlog = await queue_data.backlog_between(session, start, end)
        scope = [q.id for q in workspace.queues] if queues is None else queues
        overturned = await overturned_count(session, start, end, scope)
    digest = build_digest(
        day, aggregates, workspace, backlog, queues=queues, deviation=workspace.digest.deviation
    )
    return {**digest, "overturned": overturned}


async def open_escalations(db: Database, digest: dict[str, Any]) -> list[Escalation]:
    """Escalations still open on the digest's queues: a digest that says output fell should say why."""
    return await open_on_queues(db, [q["id"] for q in digest["queues"]])


def digest_from_file(
    workspace: Workspace,
    source: Source,
    day: date,
    *,
    tz: str | None = None,
    queues: list[str] | None = None,
    backlog: Source | None = None,
) -> dict[str, Any]:
    tz = tz or workspace.timezone
    aggregates = daily_aggregates(read_decisions(source, tz), workspace, tz)
    snapshots = read_backlog(backlog, tz) if backlog is not None else None
    digest = build_digest(
        day, aggregates, workspace, snapshots, queues=queues, deviation=workspace.digest.deviation
    )
    return {**digest, "overturned": 0}  # a file is read as it is: no appeal is joined to it


async def latest_day(db: Database, workspace: Workspace, queues: list[str] | None = None) -> date | None:
    """The newest day with figures among `queues` (None: any queue): a hint must not tell a vendor
    lead when a competitor last had data."""
    async with db.transaction() as session:
        if queues is None:
            return await queue_data.latest_recorded_day(session, workspace.timezone)
        query = select(func.max(DailyLabelerOutput.day)).where(
            DailyLabelerOutput.timezone == workspace.timezone, DailyLabelerOutput.queue.in_(queues)
        )
        return await session.scalar(query)
