"""An overturned appeal in the stored daily blocks: the one decision's verdict taken out and put back in.

The blocks are additive, so the difference is exact: the day's blocks minus the decision counted with
QA's first label, plus it counted with the reviewer's. Computed by `daily_aggregates` on a one-row table,
so the local day and the unknown-queue rule are the ones every other figure uses; the values come from
the appeal, so raw rows that retention has purged are not needed. Runs once: in the transaction that
marks the appeal corrected (handlers/appeals/store.correct, a durable timer after the decision); reads
of the decisions join an overturn only once it is corrected, so nothing counts it twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.workspace import Workspace
from handlers.queue_data.aggregate import MEASURES, DailyAggregates, daily_aggregates
from storage import queue_data
from storage.models.appeals import OVERTURNED, Appeal

log = logging.getLogger("tsqa.queue_data.corrections")


@dataclass(frozen=True)
class VerdictChange:
    """One decision's QA label before (`was`) and after (`now`) an appeal, with the decision's key and
    the columns its blocks are grouped by."""

    completed_us: int
    queue: str
    item_id: str
    labeler_id: str
    vendor: str
    site: str
    decision: str | None
    was: str
    now: str


def _one_row(change: VerdictChange, qa_decision: str) -> pa.Table:
    # Output, SLA and handle time are the same before and after and cancel out in the difference:
    # the row needs neither the enqueue time nor the handle time.
    utc = pa.timestamp("us", tz="UTC")
    completed = pa.array([change.completed_us], pa.int64()).cast(utc)
    text = {
        "item_id": change.item_id,
        "queue": change.queue,
        "vendor": change.vendor,
        "site": change.site,
        "labeler_id": change.labeler_id,
        "decision": change.decision,
        "qa_decision": qa_decision,
    }
    return pa.table(
        {
            **{name: pa.array([value], pa.string()) for name, value in text.items()},
            "enqueued_at": completed,
            "completed_at": completed,
            "handle_seconds": pa.array([0.0], pa.float64()),
        }
    )


def _blocks(change: VerdictChange, workspace: Workspace, tz: str) -> tuple[DailyAggregates, DailyAggregates]:
    """The decision's blocks in `tz` with the label it had and with the one it has now."""
    return (
        daily_aggregates(_one_row(change, change.was), workspace, tz, threads=1),
        daily_aggregates(_one_row(change, change.now), workspace, tz, threads=1),
    )


def _shift(stored: pd.DataFrame, was: pd.DataFrame, now: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    """`stored` - `was` + `now`, per key."""
    keys = [c for c in now.columns if c not in measures]
    taken = was.assign(**{m: -was[m] for m in measures})
    parts = [frame for frame in (stored[now.columns], taken, now) if len(frame)]
    if not parts:
        return now
    both = pd.concat(parts, ignore_index=True)
    return both.groupby(keys, as_index=False, sort=False, dropna=False)[measures].sum()


def corrected_day(
    stored: tuple[pd.DataFrame, pd.DataFrame], was: DailyAggregates, now: DailyAggregates
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A day's stored blocks with one decision's verdict changed; error pairs that no longer occur go."""
    labeler_days = _shift(stored[0], was.labeler_days, now.labeler_days, MEASURES)
    pairs = _shift(stored[1], was.pairs, now.pairs, ["count"])
    return labeler_days, pairs[pairs["count"] != 0].reset_index(drop=True)


def _counted(stored: pd.DataFrame, was: pd.DataFrame) -> bool:
    """Whether the stored blocks hold the decision's labeler row at all (a timezone added to the
    workspace after the day was ingested has no blocks for it, and nothing to correct)."""
    keys = ["day", "queue", "vendor", "site", "labeler_id"]
    if stored.empty:
        return False
    return len(stored[keys].merge(was[keys], on=keys)) > 0


async def apply_verdict_change(session: AsyncSession, workspace: Workspace, change: VerdictChange) -> None:
    """Correct the stored daily blocks of every kept timezone for one overturned verdict, in the
    caller's transaction (the one that marks the appeal corrected, so it happens exactly once)."""
    if change.was == change.now:
        return
    # An ingest recomputing this day meanwhile would overwrite the correction, or count it twice.
    await queue_data.lock_days(session, change.completed_us, change.completed_us)
    for tz in workspace.timezones():
        was, now = await asyncio.to_thread(_blocks, change, workspace, tz)
        if was.labeler_days.empty:  # a queue the workspace does not know: in no figure
            continue
        day = was.labeler_days["day"].iloc[0]
        stored = await queue_data.load_daily(session, tz, day, day)
        if not _counted(stored[0], was.labeler_days):
            log.info("no stored blocks for %s on %s in %s: nothing to correct", change.item_id, day, tz)
            continue
        labeler_days, pairs = await asyncio.to_thread(corrected_day, stored, was, now)
        await queue_data.replace_daily(session, tz, [day], labeler_days, pairs)


async def overturned_count(session: AsyncSession, start_us: int, end_us: int, queues: Sequence[str]) -> int:
    """Overturned appeals on decisions completed in [start, end) on `queues`, that the figures count."""
    if not queues:
        return 0
    query = select(func.count()).where(
        Appeal.status == OVERTURNED,
        Appeal.corrected_at.is_not(None),
        Appeal.completed_us >= start_us,
        Appeal.completed_us < end_us,
        Appeal.queue.in_(list(queues)),
    )
    return int(await session.scalar(query) or 0)
