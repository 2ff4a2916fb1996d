"""Bulk storage of queue data: decisions and backlog snapshots in, daily building blocks in and out.

Bulk paths use each driver's fast route inside the caller's transaction: COPY into a temporary
table on PostgreSQL, one executemany on SQLite. Duplicates are dropped by the primary key, so
re-ingesting a file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.digest import BacklogSnapshot, DailyErrorPair, DailyLabelerOutput, Decision

DECISION_COLUMNS = [
    "queue", "item_id", "completed_us", "enqueued_us", "labeler_id", "vendor", "site",
    "handle_seconds", "decision", "qa_decision",
]  # fmt: skip
BACKLOG_COLUMNS = ["queue", "at_us", "backlog", "oldest_age_seconds"]
LABELER_COLUMNS = [
    "timezone", "day", "queue", "vendor", "site", "labeler_id", "output", "sla_met", "handle_sum", "audited",
    "agreed",
]  # fmt: skip
PAIR_COLUMNS = ["timezone", "day", "queue", "vendor", "site", "decision", "qa_decision", "count"]


def _micros(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())


def decision_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """Checked decisions (frames.DECISION_TYPES) as tuples in DECISION_COLUMNS order."""
    columns = {
        "queue": table["queue"],
        "item_id": table["item_id"],
        "completed_us": _micros(table["completed_at"]),
        "enqueued_us": _micros(table["enqueued_at"]),
        "labeler_id": table["labeler_id"],
        "vendor": table["vendor"],
        "site": table["site"],
        "handle_seconds": table["handle_seconds"],
        "decision": table["decision"],
        "qa_decision": table["qa_decision"],
    }
    return list(zip(*(columns[name].to_pylist() for name in DECISION_COLUMNS), strict=True))


async def _driver(session: AsyncSession) -> Any:
    """The DBAPI driver's own connection, inside the session's transaction (begun here if needed)."""
    connection = await session.connection()
    await connection.execute(select(1))  # the asyncpg adapter opens its transaction on first use
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def _bulk_insert_ignore(
    session: AsyncSession, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> int:
    """Insert rows, skipping those whose key exists; returns how many were new."""
    if not rows:
        return 0
    driver = await _driver(session)
    names = ", ".join(columns)
    if session.bind.dialect.name == "postgresql":
        staging = f"{table}_incoming"
        await driver.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table}) ON COMMIT DROP")
        await driver.copy_records_to_table(staging, records=rows, columns=list(columns))
        status = await driver.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} ON CONFLICT DO NOTHING"
        )
        await driver.execute(f"DROP TABLE {staging}")
        return int(status.split()[-1])
    before = driver.total_changes
    marks = ", ".join("?" for _ in columns)
    await driver.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})", rows)
    return driver.total_changes - before


async def store_decisions(session: AsyncSession, table: pa.Table) -> int:
    return await _bulk_insert_ignore(session, Decision.__tablename__, DECISION_COLUMNS, decision_rows(table))


async def count_decisions_between(session: AsyncSession, start_us: int, end_us: int) -> int:
    query = select(func.count()).where(Decision.completed_us >= start_us, Decision.completed_us < end_us)
    return int(await session.scalar(query) or 0)


async def decisions_between(session: AsyncSession, start_us: int, end_us: int) -> pa.Table:
    """Stored decisions completed in [start, end), as the typed table the aggregation reads."""
    query = select(*(getattr(Decision, c) for c in DECISION_COLUMNS)).where(
        Decision.completed_us >= start_us, Decision.completed_us < end_us
    )
    rows = (await session.execute(query)).all()
    data = {name: [row[i] for row in rows] for i, name in enumerate(DECISION_COLUMNS)}
    utc = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "item_id": pa.array(data["item_id"], pa.string()),
            "queue": pa.array(data["queue"], pa.string()),
            "vendor": pa.array(data["vendor"], pa.string()),
            "site": pa.array(data["site"], pa.string()),
            "labeler_id": pa.array(data["labeler_id"], pa.string()),
            "enqueued_at": pa.array(data["enqueued_us"], pa.int64()).cast(utc),
            "completed_at": pa.array(data["completed_us"], pa.int64()).cast(utc),
            "handle_seconds": pa.array(data["handle_seconds"], pa.float64()),
            "decision": pa.array(data["decision"], pa.string()),
            "qa_decision": pa.array(data["qa_decision"], pa.string()),
        }
    )


async def purge_decisions_before(session: AsyncSession, cutoff_us: int) -> int:
    result = await session.execute(delete(Decision).where(Decision.completed_us < cutoff_us))
    return result.rowcount or 0


async def replace_daily(
    session: AsyncSession,
    timezone: str,
    days: Iterable[date],
    labeler_days: pd.DataFrame,
    pairs: pd.DataFrame,
) -> None:
    """Swap the stored building blocks of `days` for freshly computed ones, in the caller's transaction."""
    days = sorted(set(days))
    if not days:
        return
    for model in (DailyLabelerOutput, DailyErrorPair):
        await session.execute(delete(model).where(model.timezone == timezone, model.day.in_(days)))
    for model, frame, columns in (
        (DailyLabelerOutput, labeler_days, LABELER_COLUMNS),
        (DailyErrorPair, pairs, PAIR_COLUMNS),
    ):
        if frame.empty:
            continue
        records = frame.assign(timezone=timezone)[columns].to_dict("records")
        await session.execute(insert(model), records)


async def load_daily(
    session: AsyncSession, timezone: str, first: date, last: date, queues: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Building blocks for days first..last (inclusive) in `timezone`."""
    frames = []
    for model, columns in ((DailyLabelerOutput, LABELER_COLUMNS), (DailyErrorPair, PAIR_COLUMNS)):
        query = select(*(getattr(model, c) for c in columns[1:])).where(
            model.timezone == timezone, model.day >= first, model.day <= last
        )
        if queues:
            query = query.where(model.queue.in_(list(queues)))
        rows = (await session.execute(query)).all()
        frames.append(pd.DataFrame(rows, columns=columns[1:]))
    return frames[0], frames[1]


async def days_recorded(session: AsyncSession, timezone: str) -> list[date]:
    query = select(DailyLabelerOutput.day).where(DailyLabelerOutput.timezone == timezone).distinct()
    return sorted(row[0] for row in (await session.execute(query)).all())


def backlog_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    columns = [table["queue"], _micros(table["at"]), table["backlog"], table["oldest_age_seconds"]]
    return list(zip(*(c.to_pylist() for c in columns), strict=True))


async def store_backlog(session: AsyncSession, table: pa.Table) -> int:
    return await _bulk_insert_ignore(
        session, BacklogSnapshot.__tablename__, BACKLOG_COLUMNS, backlog_rows(table)
    )


async def backlog_between(session: AsyncSession, start_us: int, end_us: int) -> pa.Table:
    query = select(*(getattr(BacklogSnapshot, c) for c in BACKLOG_COLUMNS)).where(
        BacklogSnapshot.at_us >= start_us, BacklogSnapshot.at_us < end_us
    )
    rows = (await session.execute(query)).all()
    at = pa.array([r[1] for r in rows], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    return pa.table(
        {
            "queue": pa.array([r[0] for r in rows], pa.string()),
            "at": at,
            "backlog": pa.array([r[2] for r in rows], pa.int64()),
            "oldest_age_seconds": pa.array([r[3] for r in rows], pa.float64()),
        }
    )


def span_us(table: pa.Table, column: str) -> tuple[int, int]:
    """The [min, max] of a timestamp column in epoch microseconds."""
    bounds = pc.min_max(_micros(table[column]))
    return bounds["min"].as_py(), bounds["max"].as_py()
