"""The error analysis as plain values: what chat, the CLI's JSON, the charts and tests all read."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, TypeVar

import pandas as pd

from handlers.quality.scope import Scope


@dataclass(frozen=True)
class ErrorPair:
    """Labeler said `decision`, QA said `qa_decision`; `share` of the group's errors."""

    decision: str
    qa_decision: str
    count: int
    share: float
    direction: str  # over, under or unranked


@dataclass(frozen=True)
class Week:
    """One ISO week (Monday `start`, local days) of a group: quality with its 95% Wilson interval.
    `partial`: the period starts after its Monday or ends before its Sunday, so it holds fewer days."""

    start: date
    iso_week: str
    audited: int
    agreed: int
    quality: float
    low: float
    high: float
    partial: bool = False


@dataclass(frozen=True)
class Group:
    """A queue, vendor, site or the whole scope (`level` "overall") over the period.

    `target`: the queue's quality target; for a vendor, site or the whole scope, the mean of its queues'
    targets weighted by audited decisions. `below_target`: the whole Wilson interval lies below it.
    Over/under/unranked shares are of the group's errors."""

    level: str
    key: str
    audited: int
    agreed: int
    errors: int
    quality: float | None
    low: float | None
    high: float | None
    target: float | None
    below_target: bool
    over: int
    under: int
    unranked: int
    over_share: float | None
    under_share: float | None
    unranked_share: float | None
    top_errors: list[ErrorPair] = field(default_factory=list)
    weeks: list[Week] = field(default_factory=list)


@dataclass(frozen=True)
class Confusion:
    """Counts of labeler decision (rows) × QA decision (columns), both in `labels` order: the queue's
    labels least to most severe, then labels seen that the workspace file does not list."""

    queue: str
    labels: list[str]
    counts: list[list[int]]


@dataclass(frozen=True)
class LabelerQuality:
    """One labeler on one queue; `flagged` only when the whole quality interval lies below the target
    and at least a working week of audits backs it (analysis.MIN_AUDITED_TO_FLAG)."""

    queue: str
    vendor: str
    site: str
    labeler_id: str
    audited: int
    errors: int
    error_rate: float
    error_low: float
    error_high: float
    quality_low: float
    quality_high: float
    target: float
    flagged: bool


@dataclass(frozen=True)
class Standout:
    """An error pair a vendor makes on a queue clearly more often than the reference does.

    `reference`: "other vendors" (the other vendors' audited decisions on the same queue, pooled) or
    "same labels" (the queue has one vendor: the other vendors' audited decisions on the other queues
    with the same label list, pooled; never the vendor's own queues). `reference_vendors`: how many
    distinct vendors the reference pools; with one, its rate is that vendor's own."""

    vendor: str
    queue: str
    decision: str
    qa_decision: str
    direction: str
    errors: int
    audited: int
    rate: float
    low: float
    high: float
    reference: str
    reference_errors: int
    reference_audited: int
    reference_rate: float
    reference_low: float
    reference_high: float
    reference_vendors: int


@dataclass(frozen=True)
class QualityReport:
    scope: Scope
    since: date
    until: date
    timezone: str
    groups: list[Group]
    confusion: list[Confusion]
    labelers: list[LabelerQuality]
    standouts: list[Standout]
    # The day asked for when it was before the raw decisions still kept; `since` is then the first kept.
    clamped_from: date | None = None

    def kept_note(self, retention_days: int) -> str | None:
        """Why the period starts later than asked, in the users' words; None when it does not."""
        if self.clamped_from is None:
            return None
        return f"raw decisions are kept {retention_days} days: the report starts on {self.since.isoformat()}"

    def group(self, level: str, key: str) -> Group | None:
        return next((g for g in self.groups if g.level == level and g.key == key), None)

    @property
    def overall(self) -> Group | None:
        return next((g for g in self.groups if g.level == "overall"), None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, no NaN (missing figures are null)."""
        return _clean(asdict(self))


Row = TypeVar("Row")


def records(cls: type[Row], frame: pd.DataFrame) -> list[Row]:
    """One `cls` per row from the columns named as its fields, as Python values (not numpy's)."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    return [cls(**row) for row in frame[names].to_dict("records")]


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
