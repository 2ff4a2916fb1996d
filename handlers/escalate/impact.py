"""An escalation's impact, pre-filled from the queue data: backlog, output against the usual, labelers.

Whoever raises an escalation should not have to look the figures up while a queue burns; the form
starts with them and the person edits. Every figure is one SQL aggregate over a range of the
decisions' key (which leads with completed_us), so it stays fast on millions of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, exists, func, select

from handlers.escalate.durations import span
from storage.engine import Database
from storage.models.digest import BacklogSnapshot, Decision

USUAL_DAYS = 7
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
# Older than this, the newest decision is named in the text: the feed may have stopped.
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Impact:
    """A queue's figures at `now` over the last `hours`.

    `output_usual` is the mean output of the same `hours` window on each of the previous 7 days
    ([now − hours − k days, now − k days), k = 1..7). A day whose window is empty counts as 0 only
    if the queue had a decision in the 24 hours ending at that window's end; otherwise the day is
    left out (the queue was not running or its data is missing), and `usual_days` says how many
    days were counted; None when none was. `data_until` is the newest decision of the queue at or
    before `now` within the days looked at (None: none), so a stale feed shows.
    """

    queue: str
    now: datetime
    hours: int
    backlog: int | None
    oldest_age_seconds: float | None
    backlog_at: datetime | None
    output_recent: int
    output_usual: float | None
    usual_days: int
    active_labelers: int
    data_until: datetime | None


def to_us(at: datetime) -> int:
    """UTC epoch microseconds, exactly (no float rounding)."""
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no timezone; pass an aware datetime")
    return (at - _EPOCH) // _MICRO


def from_us(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _in(lo: int, hi: int, queue: str) -> tuple[ColumnElement[bool], ...]:
    """The queue's decisions completed in [lo, hi): a range of the key, then the queue."""
    return (Decision.completed_us >= lo, Decision.completed_us < hi, Decision.queue == queue)


def figures_query(queue: str, end_us: int, hours: int) -> Select:
    """One row: the recent count and distinct labelers, then (count in window, any that day) for each
    earlier day, then the newest decision: every part a range read of the decisions' key."""
    width = hours * _HOUR_US
    recent = _in(end_us - width, end_us, queue)
    columns: list[Any] = [
        select(func.count()).where(*recent).scalar_subquery(),
        select(func.count(Decision.labeler_id.distinct())).where(*recent).scalar_subquery(),
    ]
    for k in range(1, USUAL_DAYS + 1):
        day_end = end_us - k * _DAY_US
        columns.append(select(func.count()).where(*_in(day_end - width, day_end, queue)).scalar_subquery())
        columns.append(exists().where(*_in(day_end - _DAY_US, day_end, queue)))
    # Bounded look-back: an unbounded max() over a dead queue would read the whole key backwards.
    lookback = max(USUAL_DAYS * _DAY_US + width, (USUAL_DAYS + 1) * _DAY_US)
    newest = (
        select(Decision.completed_us)
        .where(*_in(end_us - lookback, end_us + 1, queue))
        .order_by(Decision.completed_us.desc())
        .limit(1)
    )
    return select(*columns, newest.scalar_subquery())


def snapshot_query(queue: str, end_us: int) -> Select:
    """The queue's latest backlog snapshot at or before the end: one probe of (queue, at_us)."""
    return (
        select(BacklogSnapshot.at_us, BacklogSnapshot.backlog, BacklogSnapshot.oldest_age_seconds)
        .where(BacklogSnapshot.queue == queue, BacklogSnapshot.at_us <= end_us)
        .order_by(BacklogSnapshot.at_us.desc())
        .limit(1)
    )


async def queue_impact(db: Database, queue: str, now: datetime, hours: int = 3) -> Impact:
    """The queue's impact figures at `now` (aware), in two statements."""
    if hours < 1:
        raise ValueError(f"hours must be at least 1, not {hours}")
    end = to_us(now)
    async with db.transaction() as session:
        row = (await session.execute(figures_query(queue, end, hours))).one()
        snap = (await session.execute(snapshot_query(queue, end))).first()
    counted = [int(row[i]) for i in range(2, 2 + 2 * USUAL_DAYS, 2) if row[i] or row[i + 1]]
    return Impact(
        queue=queue,
        now=now,
        hours=hours,
        backlog=None if snap is None else int(snap.backlog),
        oldest_age_seconds=None if snap is None else snap.oldest_age_seconds,
        backlog_at=None if snap is None else from_us(snap.at_us),
        output_recent=int(row[0]),
        output_usual=sum(counted) / len(counted) if counted else None,
        usual_days=len(counted),
        active_labelers=int(row[1]),
        data_until=None if row[-1] is None else from_us(int(row[-1])),
    )


def _clock(at: datetime, now: datetime, zone: tzinfo) -> str:
    """A time of day, with its date when it is not today's (both in the workspace's timezone)."""
    local = at.astimezone(zone)
    same_day = local.date() == now.astimezone(zone).date()
    return f"{local:%H:%M}" if same_day else f"{local:%Y-%m-%d %H:%M}"


def _change(recent: int, usual: float) -> str:
    if usual <= 0:
        return ""
    change = round((recent / usual - 1) * 100)
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return f" ({sign}{abs(change)}%)"


def impact_text(impact: Impact, queue_name: str, tz: tzinfo | str) -> str:
    """Plain text for the escalation form's impact field (a person edits it, so no markup); times in `tz`."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    window = f"last {impact.hours} h"
    lines: list[str] = []
    if impact.backlog is None or impact.backlog_at is None:
        lines.append("No backlog snapshot for this queue yet.")
    else:
        oldest = "" if impact.oldest_age_seconds is None else f", oldest {span(impact.oldest_age_seconds)}"
        at = _clock(impact.backlog_at, impact.now, zone)
        lines.append(f"Backlog {impact.backlog:,} items{oldest} (at {at}).")
    if impact.data_until is None:
        lines.append(
            f"No decisions from this queue in the last {USUAL_DAYS} days: the queue data may not be flowing."
        )
        return "\n".join(lines)
    if impact.output_usual is None:
        lines.append(f"Output {window}: {impact.output_recent:,} (no earlier day to compare with).")
    else:
        usual = round(impact.output_usual)
        change = _change(impact.output_recent, impact.output_usual)
        lines.append(f"Output {window}: {impact.output_recent:,} vs usual {usual:,}{change}.")
    lines.append(f"Active labelers {window}: {impact.active_labelers:,}.")
    age = impact.now - impact.data_until
    if age > STALE_AFTER:
        at, ago = _clock(impact.data_until, impact.now, zone), span(age)
        lines.append(f"Latest decision from {queue_name} in the queue data: {at} ({ago} ago).")
    return "\n".join(lines)
