"""The appeals report: how often audited disagreements are appealed, how often appeals are overturned and
how long a decision takes, overall and per queue, vendor and auditor; auditors overturned clearly more
often than the others are calibration candidates.

Appealable decisions are read from the raw `decisions` table as audited (not through
storage.queue_data's readers, which return the label an overturn corrected): otherwise every overturned
appeal would vanish from its own denominator.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from bot.workspace import Workspace
from handlers.quality.scope import kept_since
from handlers.quality.wilson import wilson
from handlers.queue_data.ingest import day_bounds_us
from storage.engine import Database
from storage.models.appeals import OPEN, OVERTURNED, UPHELD, Appeal
from storage.models.digest import Decision

MIN_DECIDED = 10  # decided appeals before an auditor can be a calibration candidate
UNKNOWN_AUDITOR = "unknown"


@dataclass(frozen=True)
class Rate:
    """count/total with its 95% Wilson interval; all None when there is nothing to divide."""

    count: int
    total: int
    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, count: int, total: int) -> Rate:
        if total <= 0 or count > total:
            # count > total: appeals on decisions whose raw rows expired; no honest share to give.
            return cls(count, total, None, None, None)
        low, high = wilson([count], [total])
        return cls(count, total, count / total, float(low[0]), float(high[0]))


@dataclass(frozen=True)
class AppealGroup:
    """One group's figures: `level` overall, vendor, queue or auditor; `key` its id ("all" overall).

    `flagged` and `reason`: auditors only, see `_flag`."""

    level: str
    key: str
    appealable: int
    appeals: int
    open: int
    upheld: int
    overturned: int
    appeal_rate: Rate
    overturn_rate: Rate
    median_hours_to_decide: float | None
    flagged: bool = False
    reason: str | None = None

    @property
    def decided(self) -> int:
        return self.upheld + self.overturned


@dataclass(frozen=True)
class AppealReport:
    since: date
    until: date
    timezone: str
    vendors: tuple[str, ...] | None  # a vendor lead's scope; None: every vendor
    overall: AppealGroup
    by_vendor: tuple[AppealGroup, ...]
    by_queue: tuple[AppealGroup, ...]
    by_auditor: tuple[AppealGroup, ...]  # calibration candidates first
    # The first day still in the raw decisions when the period starts before it: appeal rates count
    # appealable decisions and appeals from that day only; None when the whole period is kept.
    rates_from: date | None = None

    @property
    def flagged(self) -> tuple[AppealGroup, ...]:
        return tuple(g for g in self.by_auditor if g.flagged)


@dataclass(frozen=True)
class _AppealRow:
    queue: str
    vendor: str
    auditor: str
    status: str
    filed_at: datetime
    decided_at: datetime | None
    in_rate: bool  # its decision's raw row is still kept, so it counts in the appeal rate


def _auditor(name: str | None) -> str:
    return name.strip() if name and name.strip() else UNKNOWN_AUDITOR


async def _appealable(
    db: Database, start_us: int, end_us: int, vendors: frozenset[str] | None
) -> list[tuple[str, str, str, int]]:
    """(queue, vendor, auditor, count) of audited disagreements completed in [start_us, end_us): the
    ones a labeler may appeal (store._audited_query), so a decision without the labeler's label is not
    one (nothing could replace QA's)."""
    query = (
        select(Decision.queue, Decision.vendor, Decision.qa_auditor, func.count())
        .where(
            Decision.completed_us >= start_us,
            Decision.completed_us < end_us,
            Decision.qa_decision.is_not(None),
            Decision.qa_decision != "",
            Decision.decision.is_not(None),
            Decision.decision != "",
            Decision.decision != Decision.qa_decision,
        )
        .group_by(Decision.queue, Decision.vendor, Decision.qa_auditor)
    )
    if vendors is not None:
        query = query.where(Decision.vendor.in_(sorted(vendors)))
    async with db.connection() as conn:
        rows = (await conn.execute(query)).all()
    return [(queue, vendor, _auditor(auditor), int(count)) for queue, vendor, auditor, count in rows]


async def _appeals(
    db: Database, start_us: int, end_us: int, kept_us: int, vendors: frozenset[str] | None
) -> list[_AppealRow]:
    """Every appeal on a decision completed in the period: filed by hand, so few enough to read."""
    query = select(
        Appeal.queue,
        Appeal.vendor,
        Appeal.qa_auditor,
        Appeal.status,
        Appeal.filed_at,
        Appeal.decided_at,
        Appeal.completed_us,
    ).where(Appeal.completed_us >= start_us, Appeal.completed_us < end_us)
    if vendors is not None:
        query = query.where(Appeal.vendor.in_(sorted(vendors)))
    async with db.transaction() as session:
        rows = (await session.execute(query)).all()
    return [
        _AppealRow(queue, vendor, _auditor(auditor), status, filed_at, decided_at, completed_us >= kept_us)
        for queue, vendor, auditor, status, filed_at, decided_at, completed_us in rows
    ]


def _median_hours(appeals: Iterable[_AppealRow]) -> float | None:
    hours = [
        (a.decided_at - a.filed_at).total_seconds() / 3600
        for a in appeals
        if a.status in (UPHELD, OVERTURNED) and a.decided_at is not None
    ]
    return statistics.median(hours) if hours else None


def _group(level: str, key: str, appealable: int, appeals: list[_AppealRow]) -> AppealGroup:
    count = {status: sum(a.status == status for a in appeals) for status in (OPEN, UPHELD, OVERTURNED)}
    decided = count[UPHELD] + count[OVERTURNED]
    return AppealGroup(
        level=level,
        key=key,
        appealable=appealable,
        appeals=len(appeals),
        open=count[OPEN],
        upheld=count[UPHELD],
        overturned=count[OVERTURNED],
        appeal_rate=Rate.of(sum(a.in_rate for a in appeals), appealable),
        overturn_rate=Rate.of(count[OVERTURNED], decided),
        median_hours_to_decide=_median_hours(appeals),
    )


def _groups(
    level: str, appealable: list[tuple[str, str, str, int]], appeals: list[_AppealRow]
) -> list[AppealGroup]:
    """One group per key seen in either the appealable decisions or the appeals, busiest first."""
    index = {"queue": 0, "vendor": 1, "auditor": 2}[level]
    totals: dict[str, int] = defaultdict(int)
    for row in appealable:
        totals[row[index]] += row[3]
    filed: dict[str, list[_AppealRow]] = defaultdict(list)
    for appeal in appeals:
        filed[getattr(appeal, level)].append(appeal)
    keys = sorted(set(totals) | set(filed), key=lambda k: (-len(filed[k]), -totals[k], k))
    return [_group(level, key, totals[key], filed[key]) for key in keys]


def _flag(auditors: list[AppealGroup]) -> list[AppealGroup]:
    """Calibration candidates: at least MIN_DECIDED decided appeals, and the lower end of the auditor's
    overturn interval above the overturn rate of every other auditor's decided appeals pooled. The
    "unknown" auditor is nobody to calibrate: pooled with the others, never flagged."""
    total_decided = sum(g.decided for g in auditors)
    total_overturned = sum(g.overturned for g in auditors)
    judged: list[AppealGroup] = []
    for group in auditors:
        others_decided = total_decided - group.decided
        others_overturned = total_overturned - group.overturned
        low = group.overturn_rate.low
        if (
            group.key == UNKNOWN_AUDITOR
            or group.decided < MIN_DECIDED
            or others_decided == 0
            or low is None
            or low <= others_overturned / others_decided
        ):
            judged.append(group)
            continue
        reason = (
            f"{group.overturned} of {group.decided} decided appeals overturned "
            f"({group.overturn_rate.value:.0%}, 95% interval from {low:.0%}) against "
            f"{others_overturned / others_decided:.0%} for the other auditors "
            f"({others_overturned} of {others_decided})"
        )
        judged.append(replace(group, flagged=True, reason=reason))
    return sorted(judged, key=lambda g: not g.flagged)  # stable: busiest first within each


async def appeal_report(
    db: Database,
    workspace: Workspace,
    since: date,
    until: date,
    vendors: frozenset[str] | None = None,
    *,
    today: date | None = None,
) -> AppealReport:
    """Appeals on decisions completed on local days since..until (inclusive, workspace timezone).
    `vendors`: only these vendors' decisions and appeals, everywhere (auditors' figures included).
    Appeals outlive the raw decisions (retention_days): before the first day kept, they count in the
    overturn rate and the time to decide, not in the appeal rate, whose denominator is gone."""
    start_us, end_us = day_bounds_us(since, until, workspace.timezone)
    today = today or datetime.now(workspace.tz).date()
    kept_day, asked = kept_since(workspace, since, today)
    kept_us = day_bounds_us(kept_day, kept_day, workspace.timezone)[0]
    appealable = await _appealable(db, start_us, end_us, vendors)
    appeals = await _appeals(db, start_us, end_us, kept_us, vendors)
    return AppealReport(
        since=since,
        until=until,
        timezone=workspace.timezone,
        vendors=tuple(sorted(vendors)) if vendors is not None else None,
        overall=_group("overall", "all", sum(row[3] for row in appealable), appeals),
        by_vendor=tuple(_groups("vendor", appealable, appeals)),
        by_queue=tuple(_groups("queue", appealable, appeals)),
        by_auditor=tuple(_flag(_groups("auditor", appealable, appeals))),
        rates_from=kept_day if asked is not None else None,
    )


def _rate_json(rate: Rate) -> dict[str, Any]:
    return {"count": rate.count, "of": rate.total, "value": rate.value, "low": rate.low, "high": rate.high}


def _group_json(group: AppealGroup) -> dict[str, Any]:
    return {
        "key": group.key,
        "appealable": group.appealable,
        "appeals": group.appeals,
        "open": group.open,
        "upheld": group.upheld,
        "overturned": group.overturned,
        "decided": group.decided,
        "appeal_rate": _rate_json(group.appeal_rate),
        "overturn_rate": _rate_json(group.overturn_rate),
        "median_hours_to_decide": group.median_hours_to_decide,
        "flagged": group.flagged,
        "reason": group.reason,
    }


def as_json(report: AppealReport) -> dict[str, Any]:
    """JSON-ready: dates as ISO strings, missing figures null."""
    return {
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "timezone": report.timezone,
        "rates_from": report.rates_from.isoformat() if report.rates_from else None,
        "vendors": list(report.vendors) if report.vendors is not None else None,
        "min_decided_to_flag": MIN_DECIDED,
        "overall": _group_json(report.overall),
        "vendor": [_group_json(g) for g in report.by_vendor],
        "queue": [_group_json(g) for g in report.by_queue],
        "auditor": [_group_json(g) for g in report.by_auditor],
    }
