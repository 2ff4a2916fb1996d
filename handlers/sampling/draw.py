"""A day's audit sample for one queue: stratified by labeler, reproducible from a stated seed.

Every active labeler first gets a minimum (a larger one while nesting), so nobody goes unaudited on a
busy day; the rest of the plan's size follows each labeler's share of the day's work (largest
remainder). Rows are put in key order before anything is drawn, and each labeler's draw has its own
generator seeded from (seed, queue, day, labeler), so the sample depends on the data and the seed only:
not on row order, nor on who else worked that day. Pure: callers run it off the event loop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Key = tuple[str, str, int]  # (queue, item_id, completed_us): a decision's primary key
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PICKED = ("item_id", "completed_us", "labeler_id", "decision")


@dataclass(frozen=True)
class DrawRule:
    """A queue's plan for the day: `sample_size` from its sampling plan for the day's lot."""

    sample_size: int
    per_labeler_min: int
    nesting_min: int
    seed: int

    def __post_init__(self) -> None:
        for name in ("sample_size", "per_labeler_min", "nesting_min"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    def minimum(self, nesting: bool) -> int:
        """A nesting labeler never gets fewer than the others, whatever the two settings say."""
        return max(self.per_labeler_min, self.nesting_min) if nesting else self.per_labeler_min


@dataclass(frozen=True)
class Pick:
    """One decision to audit: who decided what on which item, never the item's content."""

    queue: str
    item_id: str
    completed_at: str  # ISO 8601 in UTC, to the microsecond: with queue and item_id, the decision's key
    completed_us: int
    labeler_id: str
    decision: str | None

    @property
    def key(self) -> Key:
        return (self.queue, self.item_id, self.completed_us)


@dataclass(frozen=True)
class LabelerDraw:
    """A labeler's stratum: decisions open to audit, the minimum they were owed, how many were drawn."""

    labeler_id: str
    population: int
    minimum: int
    drawn: int
    nesting: bool


@dataclass(frozen=True)
class Drawn:
    """A queue's sample for a day, with what each labeler was owed and why the size is not the plan's."""

    queue: str
    day: date
    seed: int
    plan_size: int
    picks: tuple[Pick, ...]  # in completion order
    labelers: tuple[LabelerDraw, ...]  # by labeler_id
    notes: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.picks)


def labeler_seed(seed: int, queue: str, day: date, labeler_id: str) -> int:
    """A labeler's own seed: a stable hash (not Python's salted `hash`), the same on every machine."""
    text = "\x1f".join([str(seed), queue, day.isoformat(), labeler_id])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


def allocate(
    populations: dict[str, int], minimums: dict[str, int], sample_size: int
) -> tuple[dict[str, int], list[str]]:
    """How many to draw from each labeler: the minimum (or all they have), then the rest of
    `sample_size` in proportion to what each has left, by largest remainder (ties: labeler_id)."""
    floor = {who: min(n, minimums.get(who, 0)) for who, n in populations.items()}
    notes: list[str] = []
    owed = sum(floor.values())
    if owed > sample_size:
        notes.append(
            f"The labelers' minimums add up to {owed}, more than the plan's {sample_size}: "
            f"the sample grows to {owed}."
        )
    rest = max(sample_size - owed, 0)
    left = {who: populations[who] - floor[who] for who in populations}
    available = sum(left.values())
    if rest >= available:
        if sample_size > sum(populations.values()):
            notes.append(
                f"Only {sum(populations.values())} decisions are open to audit, fewer than the plan's "
                f"{sample_size}: all of them are in the sample."
            )
        return {who: populations[who] for who in populations}, notes
    # Exact integer arithmetic: the quota is rest * left / available; floors first, then one more to
    # the largest remainders. A non-zero remainder means the quota is below `left`, so +1 still fits.
    share = {who: rest * n // available for who, n in left.items()}
    remainder = {who: rest * n % available for who, n in left.items()}
    spare = rest - sum(share.values())
    for who in sorted(remainder, key=lambda w: (-remainder[w], w))[:spare]:
        share[who] += 1
    return {who: floor[who] + share[who] for who in populations}, notes


def _open_rows(decisions: pa.Table, already_audited: set[Key]) -> tuple[pa.Table, int]:
    """Decisions with no QA decision and not in `already_audited`, in key order, one row per key;
    and how many were left out as audited."""
    qa = decisions["qa_decision"]
    unaudited = pc.or_(pc.is_null(qa), pc.equal(pc.fill_null(qa, ""), ""))
    completed_us = decisions["completed_at"].cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    table = pa.table(
        {
            "queue": decisions["queue"].cast(pa.string()),
            "item_id": decisions["item_id"].cast(pa.string()),
            "completed_us": completed_us,
            "labeler_id": pc.fill_null(decisions["labeler_id"].cast(pa.string()), ""),
            "decision": decisions["decision"].cast(pa.string()),
        }
    )
    table = table.filter(pc.fill_null(unaudited, True))
    # Sorted on every column, so even a repeated key (which storage never holds) orders the same.
    order = ["completed_us", "item_id", "labeler_id", "decision"]
    table = table.sort_by([(name, "ascending") for name in order])
    items = table["item_id"].to_pylist()
    times = table["completed_us"].to_pylist()
    queue = table["queue"].to_pylist()
    keep: list[int] = []
    seen: set[Key] = set()
    skipped = 0
    for index, key in enumerate(zip(queue, items, times, strict=True)):
        if key in seen:
            continue
        seen.add(key)
        if key in already_audited:
            skipped += 1
            continue
        keep.append(index)
    return table.take(pa.array(keep, pa.int64())), skipped


def _queue_of(decisions: pa.Table) -> str:
    queues = pc.unique(decisions["queue"].cast(pa.string())).drop_null().to_pylist()
    if len(queues) != 1:
        raise ValueError(f"draw takes one queue's decisions, not {len(queues)} queues'")
    return queues[0]


def _first_day(decisions: pa.Table) -> date:
    first = pc.min(decisions["completed_at"].cast(pa.timestamp("us", tz="UTC"))).as_py()
    return first.astimezone(UTC).date()


def _iso(completed_us: int) -> str:
    return (_EPOCH + timedelta(microseconds=completed_us)).isoformat()


def draw(
    decisions: pa.Table,
    rule: DrawRule,
    nesting: set[str],
    already_audited: set[Key] | None = None,
    *,
    day: date | None = None,
) -> Drawn:
    """One queue's audit sample for one day from its decisions (as storage/queue_data.py reads them).

    `day` goes into the seed; without it, the UTC date of the day's first decision. Labelers with
    nothing open to audit are not in the sample nor in `Drawn.labelers`."""
    if decisions.num_rows == 0:
        return Drawn("", day or date.min, rule.seed, rule.sample_size, (), (), ("No decisions that day.",))
    queue = _queue_of(decisions)
    day = day or _first_day(decisions)
    rows, skipped = _open_rows(decisions, already_audited or set())
    notes: list[str] = []
    if skipped:
        notes.append(f"{skipped} decisions already audited are left out.")
    positions: dict[str, list[int]] = {}
    for index, labeler in enumerate(rows["labeler_id"].to_pylist()):
        positions.setdefault(labeler, []).append(index)
    if not positions:
        notes.append("Nothing left to audit that day.")
        return Drawn(queue, day, rule.seed, rule.sample_size, (), (), tuple(notes))
    populations = {who: len(at) for who, at in positions.items()}
    minimums = {who: rule.minimum(who in nesting) for who in positions}
    counts, allocation_notes = allocate(populations, minimums, rule.sample_size)
    chosen: list[int] = []
    for who in sorted(positions):
        generator = np.random.Generator(np.random.PCG64(labeler_seed(rule.seed, queue, day, who)))
        picked = generator.choice(len(positions[who]), size=counts[who], replace=False)
        chosen.extend(positions[who][i] for i in picked.tolist())
    taken = rows.take(pa.array(sorted(chosen), pa.int64()))  # key order is completion order
    picks = tuple(
        Pick(queue, item, _iso(us), us, labeler, decision)
        for item, us, labeler, decision in _columns(taken, _PICKED)
    )
    labelers = tuple(
        LabelerDraw(who, populations[who], min(populations[who], minimums[who]), counts[who], who in nesting)
        for who in sorted(positions)
    )
    return Drawn(queue, day, rule.seed, rule.sample_size, picks, labelers, tuple(notes + allocation_notes))


def _columns(table: pa.Table, names: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    return zip(*(table[name].to_pylist() for name in names), strict=True)
