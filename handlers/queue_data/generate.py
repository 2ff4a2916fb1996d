"""Deterministic synthetic decisions and backlog snapshots for examples, tests and benchmarks.

Labels are mild placeholders ("allow", "remove", ...); no real content is ever produced.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from bot.workspace import Queue, Workspace

LABELS = ("allow", "remove", "age_restrict", "escalate")
LABEL_SHARES = (0.6, 0.25, 0.1, 0.05)
WEEKDAY_FACTOR = (1.06, 1.08, 1.05, 1.02, 0.98, 0.9, 0.91)  # Monday..Sunday, mean 1.0
AUDIT_SHARE = 0.05
AUDITORS = ("qa-01", "qa-02", "qa-03", "qa-04")  # synthetic QA ids on audited rows
ITEMS_PER_LABELER_DAY = 80
BENCH_DAYS = 90
ISO_OFFSET = "%Y-%m-%dT%H:%M:%S%Ez"
ISO_NAIVE = "%Y-%m-%dT%H:%M:%S"
_UNQUOTED = pacsv.WriteOptions(quoting_style="none")  # ids and labels never contain commas or quotes


def labeler_prefix(vendor_id: str) -> str:
    """Two letters from the vendor id (its first two consonants, e.g. northwind -> "nr")."""
    consonants = [c for c in vendor_id if c.isalpha() and c not in "aeiou"]
    return "".join((consonants + list(vendor_id) + ["x", "x"])[:2])


@dataclass(frozen=True)
class _QueuePlan:
    index: int
    queue: Queue
    own: pa.Array  # labeler ids dedicated to the queue
    floaters: pa.Array  # labeler ids shared by all queues of the vendor


def _plans(workspace: Workspace, scale: float) -> list[_QueuePlan]:
    """Labeler pools sized to the volume; each vendor also has floaters who work all its queues."""
    plans: list[_QueuePlan] = []
    for vendor in dict.fromkeys(q.vendor for q in workspace.queues):
        queues = [(i, q) for i, q in enumerate(workspace.queues) if q.vendor == vendor]
        prefix, number = labeler_prefix(vendor), 1
        sizes = [
            max(4, math.ceil(1.3 * q.targets.daily_output * scale / ITEMS_PER_LABELER_DAY)) for _, q in queues
        ]
        n_float = max(2, sum(sizes) // 10)
        floaters = pa.array([f"{prefix}-{number + k:04d}" for k in range(n_float)])
        number += n_float
        for (index, queue), size in zip(queues, sizes, strict=True):
            own = pa.array([f"{prefix}-{number + k:04d}" for k in range(size)])
            number += size
            plans.append(_QueuePlan(index, queue, own, floaters))
    return sorted(plans, key=lambda p: p.index)


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[int, int]:
    """UTC epoch seconds of the local day's first instant and of the next day's (23, 24 or 25 hours)."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = start.date() + timedelta(days=1)
    return int(start.timestamp()), int(datetime(end.year, end.month, end.day, tzinfo=tz).timestamp())


def _queue_day(
    plan: _QueuePlan,
    day: date,
    workspace: Workspace,
    seed: int,
    scale: float,
    naive: bool,
    vendor_site: bool,
    auditors: bool,
) -> pa.Table:
    """One queue's decisions for one local day; seeded by (seed, day, queue) so chunking never matters."""
    rng = np.random.default_rng([seed, day.toordinal(), plan.index])
    t = plan.queue.targets
    n = int(rng.poisson(t.daily_output * scale * WEEKDAY_FACTOR[day.weekday()] * rng.normal(1.0, 0.08)))
    start, end = _day_bounds(day, workspace.tz)
    completed = np.sort(start + (rng.beta(2.2, 2.0, n) * (end - start)).astype(np.int64))
    late = rng.random(n) < rng.uniform(0.01, 0.08)
    wait = t.sla_seconds * np.where(late, 1 + rng.exponential(0.3, n), rng.beta(1.5, 4.0, n))
    enqueued = completed - np.ceil(wait).astype(np.int64)
    sigma = 0.5
    mean = t.aht_seconds * rng.uniform(0.85, 1.03)  # most days on target, some not
    handle = np.round(rng.lognormal(math.log(mean) - sigma**2 / 2, sigma, n), 1)
    n_active = min(len(plan.own), max(3, round(n / ITEMS_PER_LABELER_DAY)))
    active = rng.choice(len(plan.own), size=n_active, replace=False)
    floaters = rng.choice(len(plan.floaters), 2, replace=False)
    pool = pa.concat_arrays([plan.own.take(pa.array(active)), plan.floaters.take(pa.array(floaters))])
    labelers = pool.take(pa.array(rng.integers(0, len(pool), n)))
    decision = rng.choice(len(LABELS), size=n, p=LABEL_SHARES)
    audited = rng.random(n) < AUDIT_SHARE
    agree = rng.random(n) < np.clip(t.quality + rng.normal(0, 0.03), 0, 1)
    wrong = (decision + rng.choice([1, 2, 3], size=n, p=[0.6, 0.3, 0.1])) % len(LABELS)
    qa = np.where(agree, decision, wrong)
    auditor = rng.integers(0, len(AUDITORS), n)  # drawn last: the columns above stay as they were
    labels = pa.array(LABELS)
    ts_type = pa.timestamp("s", tz=workspace.timezone)

    def stamp(seconds: np.ndarray) -> pa.Array:
        ts = pa.array(seconds, ts_type)
        return pc.strftime(pc.local_timestamp(ts), format=ISO_NAIVE) if naive else pc.strftime(ts, ISO_OFFSET)

    ids = pc.utf8_lpad(pa.array(np.arange(n)).cast(pa.string()), 6, "0")
    columns = {
        "item_id": pc.binary_join_element_wise(pa.scalar(f"{day:%y%m%d}{plan.index:02d}"), ids, ""),
        "queue": pa.repeat(pa.scalar(plan.queue.id), n),
        "vendor": pa.repeat(pa.scalar(plan.queue.vendor), n),
        "site": pa.repeat(pa.scalar(plan.queue.site), n),
        "labeler_id": labelers,
        "enqueued_at": stamp(enqueued),
        "completed_at": stamp(completed),
        "handle_seconds": pa.array(handle),
        "decision": labels.take(pa.array(decision)),
        "qa_decision": labels.take(pa.array(qa, mask=~audited)),
        "qa_auditor": pa.array(AUDITORS).take(pa.array(auditor, mask=~audited)),
    }
    if not vendor_site:
        del columns["vendor"], columns["site"]
    if not auditors:
        del columns["qa_auditor"]
    return pa.table(columns)


def _chunks(
    workspace: Workspace,
    start: date,
    days: int | None,
    seed: int,
    scale: float,
    naive: bool,
    vendor_site: bool,
    auditors: bool,
) -> Iterator[pa.Table]:
    """One table per local day (all queues), forever when `days` is None."""
    plans = _plans(workspace, scale)
    day = start
    while days is None or (day - start).days < days:
        tables = [
            _queue_day(plan, day, workspace, seed, scale, naive, vendor_site, auditors) for plan in plans
        ]
        yield pa.concat_tables(tables)
        day += timedelta(days=1)


def generate_decisions(
    workspace: Workspace,
    start: date,
    days: int,
    seed: int,
    scale: float = 1.0,
    *,
    naive: bool = False,
    vendor_site: bool = True,
    auditors: bool = False,
) -> pd.DataFrame:
    """Decisions of `days` local days from `start`, timestamps as ISO 8601 strings as a file holds them;
    with `auditors`, a `qa_auditor` column naming who audited each audited row (qa-01 to qa-04)."""
    tables = list(_chunks(workspace, start, days, seed, scale, naive, vendor_site, auditors))
    return pa.concat_tables(tables).to_pandas() if tables else pd.DataFrame()


def write_decisions_csv(
    path: str | Path,
    rows: int,
    workspace: Workspace,
    seed: int,
    *,
    start: date = date(2025, 1, 6),
    days: int = BENCH_DAYS,
    naive: bool = False,
    vendor_site: bool = True,
    auditors: bool = False,
) -> int:
    """Stream exactly `rows` decisions (about `days` days' volume) to CSV a day at a time: bounded memory."""
    scale = rows / (days * sum(q.targets.daily_output for q in workspace.queues))
    written = 0
    writer: pacsv.CSVWriter | None = None
    try:
        for chunk in _chunks(workspace, start, None, seed, scale, naive, vendor_site, auditors):
            chunk = chunk.slice(0, rows - written)
            writer = writer or pacsv.CSVWriter(str(path), chunk.schema, write_options=_UNQUOTED)
            writer.write_table(chunk)
            written += chunk.num_rows
            if written >= rows:
                break
    finally:
        if writer is not None:
            writer.close()
    return written


def generate_backlog(
    workspace: Workspace, start: date, days: int, seed: int, scale: float = 1.0, *, every_hours: int = 2
) -> pd.DataFrame:
    """Snapshots every `every_hours` local hours per queue: a random walk around a third of a day's work."""
    rows: list[dict[str, object]] = []
    for index, queue in enumerate(workspace.queues):
        rng = np.random.default_rng([seed, index, 7])
        level = queue.targets.daily_output * scale / 3
        for offset in range(days):
            day = start + timedelta(days=offset)
            for hour in range(0, 24, every_hours):
                level = max(0.0, level * rng.normal(1.0, 0.1) + rng.normal(0, 5))
                at = datetime(day.year, day.month, day.day, hour, 7, tzinfo=workspace.tz)
                age = queue.targets.sla_seconds * rng.uniform(0.2, 1.3) if level >= 1 else 0.0
                rows.append(
                    {
                        "queue": queue.id,
                        "at": at.isoformat(),
                        "backlog": int(level),
                        "oldest_age_seconds": round(age),
                    }
                )
    return pd.DataFrame(rows, columns=["queue", "at", "backlog", "oldest_age_seconds"])
