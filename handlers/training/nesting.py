"""Each labeler's audited quality while nesting: the cohort's queues, on their nesting days only.

Read from the ingested queue data (audited rows only); the verdict waits for enough audits, and a
labeler below target is only "below target" when the whole 95% Wilson interval is under it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pyarrow as pa

from bot.workspace_training import Site
from handlers.quality.wilson import wilson
from handlers.training.cohort import Cohort
from storage.engine import Database
from storage.queue_data import audited_between

NO_LABELER_ID = "no labeler id"
NOT_STARTED = "not started"
NOT_ENOUGH = "not enough audits yet"
MET = "met"
BELOW = "below target"
UNCERTAIN = "under target, not conclusive"


@dataclass(frozen=True)
class NestingQuality:
    """One labeler's nesting figures: agreed of audited, the 95% Wilson interval and the verdict."""

    user_id: str
    labeler_id: str | None
    audited: int
    agreed: int
    quality: float | None
    low: float | None
    high: float | None
    target: float
    verdict: str


def nesting_days(cohort: Cohort) -> list[date]:
    """The site-local days of the cohort's nesting sessions, in order (a moved day moves with them)."""
    return sorted({s.start.date() for s in cohort.sessions if s.kind == "nesting"})


def nesting_target(cohort: Cohort) -> float | None:
    """The quality a labeler must reach while nesting: the strictest of the plan's nesting modules."""
    targets = [
        m.quality_target for m in cohort.plan.modules if m.kind == "nesting" and m.quality_target is not None
    ]
    return max(targets) if targets else None


def _micros(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))


def _day_start(site: Site, day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=site.tz)


def _counts(
    table: pa.Table, days: list[date], labeler_ids: set[str], tz: str, vendor: str
) -> dict[str, tuple[int, int]]:
    """(audited, agreed) per labeler ID, of the cohort vendor's rows completed on one of `days` in `tz`
    (another vendor numbering its labelers alike on a shared queue is not this cohort)."""
    frame = table.select(["labeler_id", "vendor", "completed_at", "decision", "qa_decision"]).to_pandas()
    if frame.empty:
        return {}
    local_day = frame["completed_at"].dt.tz_convert(tz).dt.date
    ours = frame["labeler_id"].isin(labeler_ids) & (frame["vendor"] == vendor)
    frame = frame[local_day.isin(set(days)) & ours]
    frame = frame.assign(agreed=frame["decision"] == frame["qa_decision"])
    grouped = frame.groupby("labeler_id")["agreed"].agg(["count", "sum"])
    return {str(k): (int(row["count"]), int(row["sum"])) for k, row in grouped.iterrows()}


def _verdict(audited: int, quality: float | None, high: float | None, target: float, min_audits: int) -> str:
    if audited < min_audits or quality is None or high is None:
        return NOT_ENOUGH
    if quality >= target:
        return MET
    return BELOW if high < target else UNCERTAIN


def _rows(
    cohort: Cohort, counts: dict[str, tuple[int, int]], target: float, started: bool, min_audits: int
) -> list[NestingQuality]:
    """One row per labeler, Wilson bounds over all of them at once."""
    labelers = cohort.labelers
    figures = [counts.get(m.labeler_id, (0, 0)) if m.labeler_id else (0, 0) for m in labelers]
    lows, highs = wilson([a for _, a in figures], [n for n, _ in figures])
    rows = []
    for member, (audited, agreed), low, high in zip(labelers, figures, lows, highs, strict=True):
        quality = agreed / audited if audited else None
        low_v, high_v = (float(low), float(high)) if audited else (None, None)
        if member.labeler_id is None:
            verdict = NO_LABELER_ID
        elif not started:
            verdict = NOT_STARTED
        else:
            verdict = _verdict(audited, quality, high_v, target, min_audits)
        rows.append(
            NestingQuality(
                member.user_id, member.labeler_id, audited, agreed, quality, low_v, high_v, target, verdict
            )
        )
    return sorted(rows, key=lambda r: r.user_id)


async def nesting_quality(
    db: Database, cohort: Cohort, site: Site, now: datetime, min_audits: int = 20
) -> list[NestingQuality]:
    """Each labeler's nesting quality as of `now`, sorted by user; empty when the plan has no nesting."""
    days, target = nesting_days(cohort), nesting_target(cohort)
    if not days or target is None:
        return []
    first = min(s.start for s in cohort.sessions if s.kind == "nesting")
    started = now >= first
    counts: dict[str, tuple[int, int]] = {}
    ids = {m.labeler_id for m in cohort.labelers if m.labeler_id}
    if started and ids:
        start = _day_start(site, days[0])
        end = min(_day_start(site, days[-1] + timedelta(days=1)), now)
        async with db.transaction() as session:
            table = await audited_between(session, _micros(start), _micros(end), list(cohort.queues))
        counts = await asyncio.to_thread(_counts, table, days, ids, site.timezone, cohort.vendor)
    return _rows(cohort, counts, target, started, min_audits)
