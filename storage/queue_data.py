"""Bulk storage of queue data: decisions and backlog snapshots in, daily building blocks in and out.

Bulk paths use each driver's fast route inside the caller's transaction: COPY on PostgreSQL (straight
into the table when nothing stored can clash, else into a temporary table first), one executemany on
SQLite; daily building blocks go the same way. Duplicates are dropped by the primary key, so
re-ingesting a file changes nothing. Reading decisions back is storage/decision_reads.py (re-exported here).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.decision_reads import DECISION_COLUMNS, PYTHON_SLICE, driver_connection
from storage.decision_reads import audited_between as audited_between
from storage.decision_reads import decisions_between as decisions_between
from storage.models.digest import BacklogSnapshot, DailyErrorPair, DailyLabelerOutput, Decision

BACKLOG_COLUMNS = ["queue", "at_us", "backlog", "oldest_age_seconds"]
LABELER_COLUMNS = [
    "timezone", "day", "queue", "vendor", "site", "labeler_id", "output", "sla_met", "handle_sum", "audited",
    "agreed",
]  # fmt: skip
PAIR_COLUMNS = ["timezone", "day", "queue", "vendor", "site", "decision", "qa_decision", "count"]
_DECISION_KEY = ("completed_at", "queue", "item_id")  # the primary key, as the checked table names it
_UNIQUE_VIOLATION = "23505"
_DAY_US = 86_400_000_000


def _micros(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())


def _decision_table(table: pa.Table) -> pa.Table:
    """Checked decisions (frames.DECISION_TYPES) as the `decisions` table's columns, in order."""
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
        "qa_auditor": _optional(table, "qa_auditor"),
    }
    return pa.table({name: columns[name] for name in DECISION_COLUMNS})


def _optional(table: pa.Table, name: str) -> pa.ChunkedArray:
    """An optional text column, null throughout when a table built without it (older code) is stored."""
    if name in table.column_names:
        return table[name]
    return pa.chunked_array([pa.nulls(table.num_rows, pa.string())])


def _rows(values: list[list[Any]] | pa.Table) -> Iterator[tuple[Any, ...]]:
    """Rows from columns, made as the driver takes them: a generator, so the values are made in the
    driver's thread, and a slice at a time, so the event loop gets the GIL between slices."""
    if isinstance(values, pa.Table):
        for batch in values.to_batches(max_chunksize=PYTHON_SLICE):
            yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)
        return
    yield from zip(*values, strict=True)


async def _csv(rows: pa.Table, chunk: int = 65_536) -> AsyncIterator[bytes]:
    """Rows as headerless CSV for COPY, written by Arrow in C++ (no Python object per value), a chunk
    at a time in a worker thread so the server is already loading while the rest is written.
    Nulls are written empty and empty strings quoted, which is how COPY … CSV tells them apart."""
    options = pacsv.WriteOptions(include_header=False)

    def write(batch: pa.RecordBatch) -> bytes:
        buffer = io.BytesIO()
        pacsv.write_csv(batch, buffer, options)
        return buffer.getvalue()

    for batch in rows.to_batches(max_chunksize=chunk):
        yield await asyncio.to_thread(write, batch)


async def _bulk_insert_ignore(
    session: AsyncSession,
    table: str,
    rows: pa.Table,
    *,
    span_is_empty: bool = False,
    derived: dict[str, str] | None = None,
) -> int:
    """Insert rows (Arrow columns named as the table's), skipping those whose key exists; returns how
    many were new.

    PostgreSQL gets them as CSV through COPY; SQLite as a lazy zip of the columns, so no list of a
    million tuples exists at once. `span_is_empty` says no stored row can share a key with these
    (PostgreSQL then COPYs straight into the table, and falls back if the rows repeat a key).
    `derived` (SQLite only): more columns, each an SQL expression over the row's values named
    `{column}`, worked out by SQLite itself rather than made into a Python value per row."""
    count = rows.num_rows
    if not count:
        return 0
    driver = await driver_connection(session)
    columns = rows.column_names
    names = ", ".join(columns)
    if session.bind.dialect.name == "postgresql":
        if span_is_empty:
            await driver.execute("SAVEPOINT bulk_direct")
            try:
                await driver.copy_to_table(table, source=_csv(rows), columns=columns, format="csv")
            except Exception as exc:
                if getattr(exc, "sqlstate", None) != _UNIQUE_VIOLATION:
                    raise
                await driver.execute("ROLLBACK TO SAVEPOINT bulk_direct")
            else:
                await driver.execute("RELEASE SAVEPOINT bulk_direct")
                return count
        staging = f"{table}_incoming"
        await driver.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {table}) ON COMMIT DROP")
        await driver.copy_to_table(staging, source=_csv(rows), columns=columns, format="csv")
        status = await driver.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} ON CONFLICT DO NOTHING"
        )
        await driver.execute(f"DROP TABLE {staging}")
        return int(status.split()[-1])
    before = driver.total_changes
    marks = {column: f"?{i}" for i, column in enumerate(columns, start=1)}
    derived = {name: sql.format(**marks) for name, sql in (derived or {}).items()}
    names = ", ".join([*columns, *derived])
    values = ", ".join([*marks.values(), *derived.values()])
    await driver.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({values})", _rows(rows))
    return driver.total_changes - before


async def _bulk_insert(
    session: AsyncSession, table: str, columns: Sequence[str], values: list[list[Any]]
) -> None:
    """Insert rows given column by column through the driver's bulk route; a repeated key is an error."""
    driver = await driver_connection(session)
    if session.bind.dialect.name == "postgresql":
        await driver.copy_records_to_table(table, records=_rows(values), columns=list(columns))
        return
    marks = ", ".join("?" for _ in columns)
    await driver.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", _rows(values))


def _epoch_us(now: datetime | None) -> int:
    """When an audit was stored, in epoch microseconds: the ingest's `now`, else the wall clock."""
    return int((now or datetime.now(UTC)).timestamp() * 1_000_000)


def _audited(qa_decision: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.fill_null(pc.not_equal(qa_decision, ""), False)


def _in_key_order(table: pa.Table, audited_us: int | None) -> pa.Table:
    """The rows as stored, in key order; with an `audited_us` column for the audited ones when given."""
    # In key order the rows extend the primary-key index instead of landing all over it (stable: of rows
    # repeating a key, the first in the file is still the one kept).
    rows = _decision_table(table.sort_by([(name, "ascending") for name in _DECISION_KEY]))
    if audited_us is not None:
        times = pc.if_else(_audited(rows["qa_decision"]), pa.scalar(audited_us, pa.int64()), None)
        rows = rows.append_column("audited_us", times)
    for name in ("qa_auditor", "audited_us"):
        if name in rows.column_names and rows[name].null_count == rows.num_rows:  # the NULL default
            rows = rows.drop_columns([name])  # spares SQLite a Python value per row
    return rows


async def store_decisions(session: AsyncSession, table: pa.Table, *, now: datetime | None = None) -> int:
    """Store checked decisions, skipping those stored before; returns how many were new. Audited rows
    get `audited_us` = `now` (the ingest's clock), when the appeal window starts; a re-ingest changes
    no stored row, so never that either."""
    if table.num_rows == 0:
        return 0
    audited_us = _epoch_us(now)
    # COPY takes the column as Arrow writes it; SQLite works it out from the row's QA label as it
    # inserts, which spares a Python value per row.
    postgres = session.bind.dialect.name == "postgresql"
    derived = {} if postgres else {"audited_us": f"CASE WHEN {{qa_decision}} <> '' THEN {audited_us} END"}
    # A million-row sort is no work for the loop.
    rows = await asyncio.to_thread(_in_key_order, table, audited_us if postgres else None)
    first, last = span_us(table, "completed_at")
    empty = not await decisions_exist_between(session, first, last + 1)
    return await _bulk_insert_ignore(
        session, Decision.__tablename__, rows, span_is_empty=empty, derived=derived
    )


_AUDIT = ["qa_decision", "qa_auditor"]  # filled together: who audited belongs to that verdict


def _audits_only(table: pa.Table) -> pa.Table:
    """The rows of a checked file that carry an audit, as keys, the audit's label and its auditor."""
    audited = table.filter(_audited(table["qa_decision"]))
    return _decision_table(audited).select(["completed_us", "queue", "item_id", *_AUDIT])


async def fill_audits(session: AsyncSession, table: pa.Table, *, now: datetime | None = None) -> int:
    """Audits that came back for decisions already stored (the auditors' CSV of a drawn sample, a later
    export with QA's labels): the stored row takes the file's `qa_decision` and `qa_auditor` where it had
    no audit, and `audited_us` = `now`. Never overwrites an audit, its auditor or its time: a changed
    verdict is an appeal, not a re-ingest. Returns how many were filled."""
    audited_us = _epoch_us(now)
    rows = await asyncio.to_thread(_audits_only, table)
    if rows.num_rows == 0:
        return 0
    driver = await driver_connection(session)
    empty = "(decisions.qa_decision IS NULL OR decisions.qa_decision = '')"
    if session.bind.dialect.name == "postgresql":
        staging = "decisions_audits_incoming"
        await driver.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} (completed_us bigint, queue text, item_id text, "
            "qa_decision text, qa_auditor text) ON COMMIT DROP"
        )
        await driver.copy_to_table(staging, source=_csv(rows), columns=rows.column_names, format="csv")
        status = await driver.execute(
            "UPDATE decisions SET qa_decision = s.qa_decision, qa_auditor = s.qa_auditor, "
            f"audited_us = {audited_us} FROM {staging} s "
            "WHERE decisions.completed_us = s.completed_us AND decisions.queue = s.queue "
            f"AND decisions.item_id = s.item_id AND {empty}"
        )
        await driver.execute(f"DROP TABLE {staging}")
        return int(status.split()[-1])
    before = driver.total_changes
    await driver.executemany(
        f"UPDATE decisions SET qa_decision = ?, qa_auditor = ?, audited_us = {audited_us} "
        f"WHERE completed_us = ? AND queue = ? AND item_id = ? AND {empty}",
        _rows(rows.select([*_AUDIT, "completed_us", "queue", "item_id"])),
    )
    return driver.total_changes - before


_DAY_LOCKS = 0x7D15  # advisory-lock namespace of "ingest recomputes this UTC day"


async def lock_days(session: AsyncSession, first_us: int, last_us: int) -> None:
    """Serialise ingests whose rows touch the same days, until the caller's transaction ends: the
    second waits and then recomputes those days from both files' rows, instead of racing the first.

    PostgreSQL: one advisory transaction lock per UTC day, a day either side so that every
    timezone's local days are covered, taken in order (no deadlock). SQLite: the database's write
    lock, taken first so the busy timeout applies instead of a failed lock upgrade later."""
    if session.bind.dialect.name == "postgresql":
        first_day, last_day = first_us // _DAY_US - 1, last_us // _DAY_US + 1
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(:space, day::int) "
                "FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS day ORDER BY day"
            ),
            {"space": _DAY_LOCKS, "a": first_day, "b": last_day},
        )
        return
    await session.execute(text("DELETE FROM decisions WHERE 0"))  # any write takes SQLite's write lock


async def decisions_exist_between(session: AsyncSession, start_us: int, end_us: int) -> bool:
    """Whether any decision completed in [start, end) is stored: one probe of the primary key."""
    query = select(Decision.completed_us).where(
        Decision.completed_us >= start_us, Decision.completed_us < end_us
    )
    return (await session.scalar(query.limit(1))) is not None


async def count_decisions_between(session: AsyncSession, start_us: int, end_us: int) -> int:
    query = select(func.count()).where(Decision.completed_us >= start_us, Decision.completed_us < end_us)
    return int(await session.scalar(query) or 0)


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
    sqlite = session.bind.dialect.name == "sqlite"
    for model, frame, columns in (
        (DailyLabelerOutput, labeler_days, LABELER_COLUMNS),
        (DailyErrorPair, pairs, PAIR_COLUMNS),
    ):
        if frame.empty:
            continue
        day = frame["day"].tolist()
        if sqlite:  # as SQLAlchemy's Date stores it there
            day = [f"{d.year:04d}-{d.month:02d}-{d.day:02d}" for d in day]
        values = [[timezone] * len(frame), day, *(frame[name].tolist() for name in columns[2:])]
        await _bulk_insert(session, model.__tablename__, columns, values)


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


async def latest_recorded_day(session: AsyncSession, timezone: str) -> date | None:
    """The newest day with figures: one index probe (home tab, "no data" hints), not the whole list."""
    query = select(func.max(DailyLabelerOutput.day)).where(DailyLabelerOutput.timezone == timezone)
    return await session.scalar(query)


async def days_recorded(session: AsyncSession, timezone: str) -> list[date]:
    query = select(DailyLabelerOutput.day).where(DailyLabelerOutput.timezone == timezone).distinct()
    return sorted(row[0] for row in (await session.execute(query)).all())


def _backlog_table(table: pa.Table) -> pa.Table:
    columns = [table["queue"], _micros(table["at"]), table["backlog"], table["oldest_age_seconds"]]
    return pa.table(dict(zip(BACKLOG_COLUMNS, columns, strict=True)))


async def store_backlog(session: AsyncSession, table: pa.Table) -> int:
    return await _bulk_insert_ignore(session, BacklogSnapshot.__tablename__, _backlog_table(table))


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
