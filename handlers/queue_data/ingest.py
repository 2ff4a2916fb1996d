"""Take in queue data: check every row, store it in one transaction, refresh the affected days.

A refused or failed ingest stores nothing. Re-ingesting the same or an overlapping file changes no
number: decisions are keyed by (queue, item_id, completed_at) and days are recomputed from what
is stored, never added to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.csvsafe import write_csv
from bot.workspace import Workspace
from handlers.queue_data.aggregate import MEASURES, DailyAggregates, daily_aggregates
from handlers.queue_data.frames import Source
from handlers.queue_data.validate import (
    SHOWN_PROBLEMS,
    Bounds,
    Checked,
    FileRejected,
    RowProblem,
    check_backlog,
    check_decisions,
)
from storage import queue_data
from storage.engine import Database

log = logging.getLogger("tsqa.digest.ingest")
T = TypeVar("T")
LOCKED_ATTEMPTS = 5  # SQLite: a writer that waited out the busy timeout tries the whole ingest again


@dataclass
class IngestReport:
    """What an ingest did, in the words the CLI, the thread reply and the admins' DM use."""

    kind: str
    name: str
    total: int
    stored: int = 0
    already: int = 0
    audits_added: int = 0  # audits filled in on decisions stored before (a sample coming back)
    invalid: int = 0
    expired: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    side_file: Path | None = None
    days: list[date] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.name}: stored {self.stored:,} new {self.kind} of {self.total:,} rows"]
        if self.already:
            parts.append(f"{self.already:,} were already stored")
        if self.audits_added:
            parts.append(f"{self.audits_added:,} of those got their QA audit")
        if self.invalid:
            parts.append(
                f"{self.invalid:,} invalid rows skipped"
                + (f" (see {self.side_file})" if self.side_file else "")
            )
        if self.expired:
            parts.append(f"{self.expired:,} rows for days already recorded whose raw data has expired")
        if self.days:
            span = f"{self.days[0]}" if len(self.days) == 1 else f"{self.days[0]} to {self.days[-1]}"
            parts.append(f"days {span}")
        return "; ".join(parts)


def refusal(name: str, exc: FileRejected) -> str:
    """A refused file explained: the count and the first problems with their line numbers."""
    lines = [f"{name}: refused, nothing stored: {exc}"]
    for problem in exc.problems[:SHOWN_PROBLEMS]:
        lines.append(f"  line {problem.line}: {problem.reason}")
    if exc.invalid > SHOWN_PROBLEMS:
        lines.append(f"  … and {exc.invalid - SHOWN_PROBLEMS:,} more")
    return "\n".join(lines)


def _accept(checked: Checked, what: str, skip_invalid: bool, side_file: Path | None) -> Path | None:
    """Refuse the file when rows are invalid, unless asked to skip them (then write them aside)."""
    if not checked.invalid:
        return None
    if not skip_invalid:
        raise FileRejected(
            f"{checked.invalid:,} of {checked.total:,} rows are invalid "
            "(use --skip-invalid to store the valid rows)",
            checked.problems,
            checked.invalid,
        )
    if side_file is not None and checked.rejected is not None:
        write_csv(checked.rejected, side_file)
    return side_file


def _local_days(column: pa.ChunkedArray, tz: str) -> list[date]:
    local = pc.local_timestamp(column.cast(pa.timestamp("us", tz=tz)))
    return sorted(d for d in pc.unique(local.cast(pa.date32())).to_pylist() if d is not None)


def day_bounds_us(first: date, last: date, tz: str) -> tuple[int, int]:
    """UTC microseconds of `first`'s local midnight and of the midnight after `last`."""
    zone = ZoneInfo(tz)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    after = last + timedelta(days=1)
    end = datetime(after.year, after.month, after.day, tzinfo=zone)
    return int(start.timestamp() * 1_000_000), int(end.timestamp() * 1_000_000)


async def _drop_expired(
    session: AsyncSession, workspace: Workspace, table: pa.Table, now: datetime
) -> tuple[pa.Table, int]:
    """Rows older than retention for days already recorded: their raw rows are gone, so they cannot
    be merged without changing history; they are left out and counted."""
    cutoff = now - timedelta(days=workspace.ingest.retention_days)
    old = pc.less(table["completed_at"], pa.scalar(cutoff, pa.timestamp("us", tz="UTC")))
    if not pc.any(old).as_py():
        return table, 0
    recorded = set(await queue_data.days_recorded(session, workspace.timezone))
    local = pc.local_timestamp(table["completed_at"].cast(pa.timestamp("us", tz=workspace.timezone)))
    days = local.cast(pa.date32())
    clash = pc.and_(old, pc.is_in(days, value_set=pa.array(sorted(recorded), pa.date32())))
    return table.filter(pc.invert(clash)), int(pc.sum(clash.cast(pa.int64())).as_py() or 0)


def _locked(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig or exc)


async def in_transaction(db: Database, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` in one transaction; on SQLite, tried again when another writer held the database for
    longer than the busy timeout (a large ingest), since nothing of a failed attempt was kept."""
    for attempt in range(1, LOCKED_ATTEMPTS + 1):
        try:
            async with db.transaction() as session:
                return await work(session)
        except OperationalError as exc:
            if not _locked(exc) or attempt == LOCKED_ATTEMPTS:
                raise
            log.info(
                "database locked by another writer; ingest attempt %d of %d", attempt + 1, LOCKED_ATTEMPTS
            )
            await asyncio.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


async def refresh_days(
    session: AsyncSession,
    workspace: Workspace,
    table: pa.Table,
    all_new: bool,
    prepared: asyncio.Future[dict[str, DailyAggregates]],
) -> list[date]:
    """Refresh the daily building blocks of every day the new rows touch, in every timezone kept.

    The blocks are additive, so when every row was new the file's own blocks (`prepared`, computed
    while the rows were being stored) are added to the stored ones: no raw rows are read back. When
    some rows were stored already, their days are recomputed from the raw rows instead."""
    touched: list[date] = []
    for tz in workspace.timezones():
        days = await asyncio.to_thread(_local_days, table["completed_at"], tz)
        if not days:
            continue
        if all_new:
            stored = await queue_data.load_daily(session, tz, days[0], days[-1])
            fresh = (await prepared)[tz]
            labeler_days, pairs = await asyncio.to_thread(_added, stored, fresh, set(days))
        else:
            start, end = day_bounds_us(days[0], days[-1], tz)
            source = await queue_data.decisions_between(session, start, end)
            aggregates = await asyncio.to_thread(daily_aggregates, source, workspace, tz)
            labeler_days, pairs = _on_days((aggregates.labeler_days, aggregates.pairs), set(days))
        await queue_data.replace_daily(session, tz, days, labeler_days, pairs)
        if tz == workspace.timezone:
            touched = days
    return touched


def _on_days(frames: tuple[pd.DataFrame, pd.DataFrame], days: set[date]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return frames[0][frames[0]["day"].isin(days)], frames[1][frames[1]["day"].isin(days)]


def _added(
    stored: tuple[pd.DataFrame, pd.DataFrame], fresh: DailyAggregates, days: set[date]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stored blocks plus the file's, per key (the file's rows were all new, so nothing counts twice)."""
    labeler_days, pairs = _on_days((fresh.labeler_days, fresh.pairs), days)
    old_days, old_pairs = _on_days(stored, days)  # the stored range may span days the file skips
    summed = []
    for old, new, measures in ((old_days, labeler_days, MEASURES), (old_pairs, pairs, ["count"])):
        keys = [c for c in new.columns if c not in measures]
        both = pd.concat([old.astype(new.dtypes.to_dict()), new], ignore_index=True) if len(old) else new
        summed.append(both.groupby(keys, as_index=False, sort=False)[measures].sum())
    return summed[0], summed[1]


def _report(kind: str, name: str, checked: Checked, side: Path | None) -> IngestReport:
    return IngestReport(
        kind, name, checked.total, invalid=checked.invalid, problems=checked.problems, side_file=side
    )


def _aggregate_each(
    table: pa.Table, workspace: Workspace, zones: Collection[str]
) -> dict[str, DailyAggregates]:
    """The file's aggregates per timezone on one DuckDB thread: run aside while the database loads."""
    return {tz: daily_aggregates(table, workspace, tz, threads=1) for tz in zones}


async def ingest_decisions(
    db: Database,
    workspace: Workspace,
    source: Source,
    name: str,
    *,
    now: datetime,
    skip_invalid: bool = False,
    side_file: Path | None = None,
    queues: Collection[str] | None = None,
    queues_reason: str = "",
) -> IngestReport:
    """Check, store and aggregate a decisions file. `queues` limits which queues it may hold (a
    vendor lead's own); rows of others are invalid with `queues_reason`."""
    bounds = _bounds(workspace, now, queues, queues_reason)
    # Parsing, checking and aggregating are heavy: threads, so the bot keeps answering meanwhile.
    checked = await asyncio.to_thread(check_decisions, source, workspace, workspace.timezone, bounds)
    side = await asyncio.to_thread(_accept, checked, "decisions", skip_invalid, side_file)
    report = _report("decisions", name, checked, side)
    if checked.table.num_rows == 0:
        return report

    async def store(session: AsyncSession) -> None:
        # Taken first: a concurrent ingest of the same days waits here, then sees these rows.
        await queue_data.lock_days(session, *queue_data.span_us(checked.table, "completed_at"))
        table, report.expired = await _drop_expired(session, workspace, checked.table, now)
        report.stored = report.already = 0
        report.days = []
        if table.num_rows == 0:
            return
        # The file's own daily blocks, computed on one spare core while the database takes the rows
        # (one DuckDB thread: the load keeps the other core).
        zones = workspace.timezones()
        prepared = asyncio.ensure_future(asyncio.to_thread(_aggregate_each, table, workspace, zones))
        try:
            report.stored = await queue_data.store_decisions(session, table, now=now)
            report.already = table.num_rows - report.stored
            if report.already:  # returned audits: then the days are recomputed from the stored rows
                report.audits_added = await queue_data.fill_audits(session, table, now=now)
            report.days = await refresh_days(session, workspace, table, report.already == 0, prepared)
        finally:
            await asyncio.gather(prepared, return_exceptions=True)

    await in_transaction(db, store)
    return report


def _bounds(
    workspace: Workspace, now: datetime | None, queues: Collection[str] | None, reason: str
) -> Bounds:
    return Bounds(
        now=now or datetime.now(UTC),
        max_rows=workspace.ingest.max_rows,
        queues=None if queues is None else frozenset(queues),
        queues_reason=reason,
    )


async def ingest_backlog(
    db: Database,
    workspace: Workspace,
    source: Source,
    name: str,
    *,
    now: datetime | None = None,
    skip_invalid: bool = False,
    side_file: Path | None = None,
    queues: Collection[str] | None = None,
    queues_reason: str = "",
) -> IngestReport:
    bounds = _bounds(workspace, now, queues, queues_reason)
    checked = await asyncio.to_thread(check_backlog, source, workspace, workspace.timezone, bounds)
    side = await asyncio.to_thread(_accept, checked, "backlog snapshots", skip_invalid, side_file)
    report = _report("backlog snapshots", name, checked, side)

    async def store(session: AsyncSession) -> None:
        report.stored = await queue_data.store_backlog(session, checked.table)

    await in_transaction(db, store)
    report.already = checked.table.num_rows - report.stored
    report.days = _local_days(checked.table["at"], workspace.timezone) if checked.table.num_rows else []
    return report
