"""The impact pre-filled into an escalation: every figure from SQL checked against pandas on the same
generated rows, the window boundaries, days left out of the usual, and the text when data is missing."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import text

from handlers.escalate.impact import (
    Impact,
    figures_query,
    impact_text,
    queue_impact,
    snapshot_query,
    to_us,
)
from storage import queue_data
from storage.engine import Database

NOW = datetime(2026, 11, 30, 10, 20, 30, 123456, tzinfo=UTC)
QUEUE, OTHER = "hate-en", "spam-en"
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
LEFT_OUT_DAY = 3  # no decision at all in the 24 h ending now - 3 days: left out of the usual
EMPTY_WINDOW_DAY = 5  # the window of now - 5 days is empty, the rest of that day is not: counts as 0


def _random_times(rng: np.random.Generator, n: int, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    span = (end - start) // pd.Timedelta(microseconds=1)
    offsets = rng.integers(0, span, n)
    return pd.Series(start + pd.to_timedelta(offsets, unit="us"))


def generate(seed: int = 7, hours: int = 3) -> pd.DataFrame:
    """A few thousand decisions over 8 days on two queues, with a drop in the last hours on QUEUE,
    a day without data, a day with an empty window, and rows exactly on the window's edges."""
    rng = np.random.default_rng(seed)
    now = pd.Timestamp(NOW)
    start = now - 8 * DAY - 6 * HOUR
    frames = []
    for queue, n, pool in ((QUEUE, 4000, 14), (OTHER, 2500, 9)):
        completed = _random_times(rng, n, start, now + 2 * HOUR)  # some after `now`: never counted
        labelers = [f"{queue[:2]}-{i:04d}" for i in rng.integers(1, pool + 1, n)]
        frames.append(pd.DataFrame({"queue": queue, "completed": completed, "labeler_id": labelers}))
    rows = pd.concat(frames, ignore_index=True)
    mine = rows["queue"] == QUEUE
    t = rows["completed"]
    recent = mine & (t >= now - hours * HOUR) & (t < now)
    drop = recent & (rng.random(len(rows)) < 0.8)  # the incident: output collapses
    left_out = mine & (t >= now - (LEFT_OUT_DAY + 1) * DAY) & (t < now - LEFT_OUT_DAY * DAY)
    window_end = now - EMPTY_WINDOW_DAY * DAY
    emptied = mine & (t >= window_end - hours * HOUR) & (t < window_end)
    rows = rows[~(drop | left_out | emptied)]
    edges = pd.DataFrame(
        {
            "queue": QUEUE,
            "completed": [now - hours * HOUR, now, now - DAY - hours * HOUR, now - DAY],
            "labeler_id": ["ha-edge-in", "ha-edge-out", "ha-0001", "ha-0002"],
        }
    )
    rows = pd.concat([rows, edges], ignore_index=True)
    rows["item_id"] = [f"item-{i:06d}" for i in range(len(rows))]
    return rows


def backlog_frame() -> pd.DataFrame:
    """Hourly snapshots per queue, one exactly at `now` on QUEUE and some after it."""
    now = pd.Timestamp(NOW)
    at = [now - k * HOUR for k in range(1, 30)] + [now, now + 30 * pd.Timedelta(minutes=1)]
    rng = np.random.default_rng(11)
    rows = []
    for queue in (QUEUE, OTHER):
        for when in at:
            if queue == OTHER and when == now:
                continue
            rows.append(
                {
                    "queue": queue,
                    "at": when,
                    "backlog": int(rng.integers(100, 3000)),
                    "oldest_age_seconds": float(rng.integers(60, 20_000)),
                }
            )
    return pd.DataFrame(rows)


def _utc(series: pd.Series) -> pa.Array:
    micros = series.map(to_us).to_numpy(dtype="int64")
    return pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC"))


async def store(db: Database, decisions: pd.DataFrame, backlog: pd.DataFrame | None = None) -> None:
    n = len(decisions)
    table = pa.table(
        {
            "queue": pa.array(decisions["queue"], pa.string()),
            "item_id": pa.array(decisions["item_id"], pa.string()),
            "completed_at": _utc(decisions["completed"]),
            "enqueued_at": _utc(decisions["completed"] - pd.Timedelta(minutes=20)),
            "labeler_id": pa.array(decisions["labeler_id"], pa.string()),
            "vendor": pa.array(["northwind"] * n, pa.string()),
            "site": pa.array(["lisbon"] * n, pa.string()),
            "handle_seconds": pa.array([42.0] * n, pa.float64()),
            "decision": pa.array(["allow"] * n, pa.string()),
            "qa_decision": pa.array([None] * n, pa.string()),
        }
    )
    async with db.transaction() as session:
        await queue_data.store_decisions(session, table)
        if backlog is not None:
            snapshots = pa.table(
                {
                    "queue": pa.array(backlog["queue"], pa.string()),
                    "at": _utc(backlog["at"]),
                    "backlog": pa.array(backlog["backlog"], pa.int64()),
                    "oldest_age_seconds": pa.array(backlog["oldest_age_seconds"], pa.float64()),
                }
            )
            await queue_data.store_backlog(session, snapshots)


def expected(decisions: pd.DataFrame, backlog: pd.DataFrame, queue: str, hours: int) -> dict:
    """The same figures by pandas: boolean masks and a per-day table, nothing shared with the SQL."""
    now = pd.Timestamp(NOW)
    mine = decisions[decisions["queue"] == queue]
    t = mine["completed"]
    recent = mine[(t >= now - hours * HOUR) & (t < now)]
    days = pd.DataFrame({"k": range(1, 8)})
    days["end"] = [now - k * DAY for k in days["k"]]
    days["output"] = [int(((t >= e - hours * HOUR) & (t < e)).sum()) for e in days["end"]]
    days["any_that_day"] = [bool(((t >= e - DAY) & (t < e)).any()) for e in days["end"]]
    counted = days[days["any_that_day"]]
    snaps = backlog[(backlog["queue"] == queue) & (backlog["at"] <= now)].sort_values("at")
    last = snaps.iloc[-1] if len(snaps) else None
    until = t[t <= now]
    return {
        "output_recent": len(recent),
        "active_labelers": recent["labeler_id"].nunique(),
        "output_usual": counted["output"].mean() if len(counted) else None,
        "usual_days": len(counted),
        "counted_days": set(counted["k"]),
        "data_until": until.max().to_pydatetime() if len(until) else None,
        "backlog": None if last is None else int(last["backlog"]),
        "oldest_age_seconds": None if last is None else float(last["oldest_age_seconds"]),
        "backlog_at": None if last is None else last["at"].to_pydatetime(),
    }


@pytest.mark.parametrize("queue", [QUEUE, OTHER])
async def test_every_figure_matches_pandas(db: Database, queue: str) -> None:
    decisions, backlog = generate(), backlog_frame()
    await store(db, decisions, backlog)
    impact = await queue_impact(db, queue, NOW)
    want = expected(decisions, backlog, queue, 3)
    assert impact.queue == queue and impact.hours == 3 and impact.now == NOW
    assert impact.output_recent == want["output_recent"]
    assert impact.active_labelers == want["active_labelers"]
    assert impact.usual_days == want["usual_days"]
    assert impact.output_usual == pytest.approx(want["output_usual"])
    assert impact.data_until == want["data_until"]
    assert impact.backlog == want["backlog"]
    assert impact.oldest_age_seconds == want["oldest_age_seconds"]
    assert impact.backlog_at == want["backlog_at"]
    if queue == QUEUE:
        # The generated story holds: a drop against the usual, one day left out, one counted as 0.
        assert want["counted_days"] == {1, 2, 4, 5, 6, 7}
        assert impact.output_recent < 0.5 * impact.output_usual
        assert impact.data_until == NOW and impact.backlog_at == NOW


async def test_other_window_widths_match_pandas(db: Database) -> None:
    decisions, backlog = generate(seed=23, hours=1), backlog_frame()
    await store(db, decisions, backlog)
    for hours in (1, 6):
        impact = await queue_impact(db, QUEUE, NOW, hours=hours)
        want = expected(decisions, backlog, QUEUE, hours)
        assert (impact.output_recent, impact.active_labelers) == (
            want["output_recent"],
            want["active_labelers"],
        )
        assert impact.output_usual == pytest.approx(want["output_usual"])


async def test_window_edges(db: Database) -> None:
    """A decision exactly at now − hours counts, one exactly at now does not; same for earlier days."""
    now = pd.Timestamp(NOW)
    rows = pd.DataFrame(
        {
            "queue": QUEUE,
            "completed": [
                now - 3 * HOUR,  # counts
                now - 3 * HOUR - pd.Timedelta(microseconds=1),  # too early
                now - pd.Timedelta(microseconds=1),  # counts
                now,  # too late
                now - DAY - 3 * HOUR,  # day 1's window: counts
                now - DAY,  # day 1's window: too late
            ],
            "labeler_id": ["a", "b", "c", "d", "e", "f"],
        }
    )
    rows["item_id"] = [f"edge-{i}" for i in range(len(rows))]
    await store(db, rows)
    impact = await queue_impact(db, QUEUE, NOW)
    assert (impact.output_recent, impact.active_labelers) == (2, 2)
    # Day 1 counted (1 in its window); days 2..7 had no decision in their 24 h: left out.
    assert (impact.output_usual, impact.usual_days) == (1.0, 1)
    assert impact.data_until == NOW  # at or before now: the newest counts for staleness


async def test_no_data_at_all(db: Database) -> None:
    impact = await queue_impact(db, QUEUE, NOW)
    assert impact == Impact(
        queue=QUEUE, now=NOW, hours=3, backlog=None, oldest_age_seconds=None, backlog_at=None,
        output_recent=0, output_usual=None, usual_days=0, active_labelers=0, data_until=None,
    )  # fmt: skip
    assert impact_text(impact, "Hate speech EN", "UTC") == (
        "No backlog snapshot for this queue yet.\n"
        "No decisions from this queue in the last 7 days: the queue data may not be flowing."
    )


async def test_queries_read_ranges_of_the_keys(db: Database) -> None:
    """Fast on millions of rows means no full read: every read of a table is a range of its key."""
    end = to_us(NOW)
    async with db.connection() as conn:
        for query in (figures_query(QUEUE, end, 3), snapshot_query(QUEUE, end)):
            sql = str(query.compile(conn.engine.sync_engine, compile_kwargs={"literal_binds": True}))
            if db.is_sqlite:
                plan = [r[-1] for r in (await conn.execute(text("EXPLAIN QUERY PLAN " + sql))).all()]
                reads = [line for line in plan if "decisions" in line or "backlog_snapshots" in line]
                ranged = [
                    line
                    for line in reads
                    if "SEARCH" in line and ("completed_us>" in line or "at_us<" in line)
                ]
            else:
                await conn.execute(text("SET LOCAL enable_seqscan = off"))  # tiny tables: plan as if large
                plan = [r[0] for r in (await conn.execute(text("EXPLAIN " + sql))).all()]
                reads = [
                    i
                    for i, line in enumerate(plan)
                    if " on decisions" in line or " on backlog_snapshots" in line
                ]
                ranged = [
                    i
                    for i in reads
                    if "Index Cond" in plan[i + 1]
                    and ("completed_us >=" in plan[i + 1] or "at_us <=" in plan[i + 1])
                ]
            assert reads and len(ranged) == len(reads), "\n".join(plan)


def _impact(**changes: object) -> Impact:
    base = dict(
        queue=QUEUE, now=datetime(2026, 11, 30, 10, 20, tzinfo=UTC), hours=3, backlog=1240,
        oldest_age_seconds=3 * 3600 + 10 * 60, backlog_at=datetime(2026, 11, 30, 10, 5, tzinfo=UTC),
        output_recent=85, output_usual=410.0, usual_days=7, active_labelers=4,
        data_until=datetime(2026, 11, 30, 10, 19, tzinfo=UTC),
    )  # fmt: skip
    base.update(changes)
    return Impact(**base)  # type: ignore[arg-type]


def test_text_reads_as_the_figures() -> None:
    assert impact_text(_impact(), "Hate speech EN", "UTC") == (
        "Backlog 1,240 items, oldest 3 h 10 min (at 10:05).\n"
        "Output last 3 h: 85 vs usual 410 (−79%).\n"
        "Active labelers last 3 h: 4."
    )


def test_text_in_the_workspace_timezone_with_dates_when_not_today() -> None:
    impact = _impact(
        backlog_at=datetime(2026, 11, 29, 23, 30, tzinfo=UTC),
        data_until=datetime(2026, 11, 30, 6, 12, tzinfo=UTC),
        output_recent=0,
        output_usual=12.4,
    )
    lines = impact_text(impact, "Hate speech EN", ZoneInfo("Asia/Tokyo")).splitlines()
    # 23:30 UTC on the 29th is 08:30 on the 30th in Tokyo: today there, so no date.
    assert lines[0] == "Backlog 1,240 items, oldest 3 h 10 min (at 08:30)."
    assert lines[1] == "Output last 3 h: 0 vs usual 12 (−100%)."
    assert lines[3] == "Latest decision from Hate speech EN in the queue data: 15:12 (4 h 8 min ago)."
    utc = impact_text(impact, "Hate speech EN", "UTC").splitlines()
    assert utc[0] == "Backlog 1,240 items, oldest 3 h 10 min (at 2026-11-29 23:30)."


def test_text_without_a_usual_or_an_oldest_age() -> None:
    impact = _impact(output_usual=None, usual_days=0, oldest_age_seconds=None, output_recent=1234)
    assert impact_text(impact, "Hate speech EN", "UTC") == (
        "Backlog 1,240 items (at 10:05).\n"
        "Output last 3 h: 1,234 (no earlier day to compare with).\n"
        "Active labelers last 3 h: 4."
    )
    assert "vs usual 0." in impact_text(_impact(output_usual=0.0), "Hate speech EN", "UTC")
    assert "(+22%)" in impact_text(_impact(output_recent=500), "Hate speech EN", "UTC")


async def test_now_must_carry_a_timezone(db: Database) -> None:
    with pytest.raises(ValueError, match="no timezone"):
        await queue_impact(db, QUEUE, datetime(2026, 11, 30, 10, 20))
