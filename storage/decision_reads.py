"""Reading stored decisions back as typed Arrow tables, with the outcome of appeals joined in.

An overturned appeal replaces the audit's label (`appeals.final_label`) in what every reader sees, while
the ingested row keeps QA's original verdict: one LEFT JOIN on the decision's key, inside the one query
each database reads with (COPY on PostgreSQL, the driver's rows on SQLite).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.appeals import OVERTURNED, Appeal
from storage.models.digest import Decision

DECISION_COLUMNS = [
    "queue", "item_id", "completed_us", "enqueued_us", "labeler_id", "vendor", "site",
    "handle_seconds", "decision", "qa_decision", "qa_auditor",
]  # fmt: skip
PYTHON_SLICE = 8_192  # rows made into Python values per call: each call holds the GIL throughout

# The audit's label as it stands: the reviewer's where an appeal overturned it and the stored daily figures
# took the difference (`corrected_at`): until then an overturn is joined nowhere, so a day recomputed
# from these rows in between, and the correction after it, never count it twice.
_CORRECTED = "COALESCE(a.final_label, d.qa_decision)"
_SELECTED = ", ".join(
    _CORRECTED + " AS qa_decision" if c == "qa_decision" else f"d.{c}" for c in DECISION_COLUMNS
)
_FROM = (
    f"FROM {Decision.__tablename__} d LEFT JOIN {Appeal.__tablename__} a "
    "ON a.completed_us = d.completed_us AND a.queue = d.queue AND a.item_id = d.item_id "
    f"AND a.status = '{OVERTURNED}' AND a.corrected_at IS NOT NULL"
)
# The audit as QA stored it, for the one reader that compares with QA's own verdict (returned samples).
_SELECTED_AS_STORED = ", ".join(f"d.{c}" for c in DECISION_COLUMNS)
_FROM_AS_STORED = f"FROM {Decision.__tablename__} d"


async def driver_connection(session: AsyncSession) -> Any:
    """The DBAPI driver's own connection, inside the session's transaction (begun here if needed)."""
    connection = await session.connection()
    await connection.execute(select(1))  # the asyncpg adapter opens its transaction on first use
    raw = await connection.get_raw_connection()
    return raw.driver_connection


def decisions_query(start_us: int, end_us: int, *, outcomes: bool = True) -> str:
    """The read of decisions completed in [start, end), appeals joined unless `outcomes` is False: the
    range is on the key's leading column, so both databases read it from the primary key (and the
    appeals' unique key)."""

    def span(alias: str) -> str:
        return f"{alias}.completed_us >= {int(start_us)} AND {alias}.completed_us < {int(end_us)}"

    if not outcomes:
        return f"SELECT {_SELECTED_AS_STORED} {_FROM_AS_STORED} WHERE {span('d')}"
    return f"SELECT {_SELECTED} {_FROM} AND {span('a')} WHERE {span('d')}"


async def decisions_between(
    session: AsyncSession,
    start_us: int,
    end_us: int,
    *,
    outcomes: bool = True,
    queues: Sequence[str] | None = None,
) -> pa.Table:
    """Stored decisions completed in [start, end), on `queues` only (None: every queue), as the typed
    table the aggregation reads; with `outcomes=False`, `qa_decision` is QA's audit as stored, not the
    label an overturned appeal gave.

    Read through the driver, not SQLAlchemy's rows: a million rows must not be turned into Python
    objects on the event loop. PostgreSQL sends them as CSV (COPY), parsed by Arrow in a thread;
    SQLite's rows are fetched in its own thread and put into columns in another."""
    return await _read_in_queues(session, decisions_query(start_us, end_us, outcomes=outcomes), queues)


async def audited_between(
    session: AsyncSession, start_us: int, end_us: int, queues: Sequence[str] | None
) -> pa.Table:
    """Stored decisions completed in [start, end) that QA audited (a non-empty QA decision), on
    `queues` only (None: every queue), as `decisions_between` reads them: the quality analysis reads
    the audited 15% without the rest."""
    query = decisions_query(start_us, end_us) + " AND d.qa_decision IS NOT NULL AND d.qa_decision <> ''"
    return await _read_in_queues(session, query, queues)


async def _read_in_queues(session: AsyncSession, query: str, queues: Sequence[str] | None) -> pa.Table:
    """`query` (ending in its WHERE clause) narrowed to `queues`, bound as parameters, never written
    into the SQL; None reads every queue, an empty list none."""
    if queues is None:
        return await _read_decisions(session, query, [])
    if not queues:
        return _decisions_from_rows([])
    postgres = session.bind.dialect.name == "postgresql"
    marks = (f"${i + 1}" if postgres else "?" for i in range(len(queues)))
    return await _read_decisions(session, query + f" AND d.queue IN ({', '.join(marks)})", list(queues))


async def _read_decisions(session: AsyncSession, query: str, args: list[Any]) -> pa.Table:
    """COPY as CSV on PostgreSQL, the driver's rows in a thread on SQLite; Arrow columns off the loop."""
    driver = await driver_connection(session)
    if session.bind.dialect.name == "postgresql":
        chunks: list[bytes] = []

        async def take(chunk: bytes) -> None:
            chunks.append(chunk)

        await driver.copy_from_query(query, *args, output=take, format="csv")
        return await asyncio.to_thread(_decisions_from_csv, b"".join(chunks))
    cursor = await driver.execute(query, args) if args else await driver.execute(query)
    rows = await cursor.fetchall()
    await cursor.close()
    return await asyncio.to_thread(_decisions_from_rows, rows)


def _decisions_from_csv(data: bytes) -> pa.Table:
    types = {
        name: pa.int64()
        if name.endswith("_us")
        else pa.float64()
        if name == "handle_seconds"
        else pa.string()
        for name in DECISION_COLUMNS
    }
    options = pacsv.ConvertOptions(
        column_types=types, strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=False
    )
    if not data:
        return _decisions_from_rows([])
    table = pacsv.read_csv(
        io.BytesIO(data),
        pacsv.ReadOptions(column_names=DECISION_COLUMNS),
        pacsv.ParseOptions(newlines_in_values=True),  # labels may hold line breaks
        convert_options=options,
    )
    return _decisions_from_columns({name: table[name] for name in DECISION_COLUMNS})


def _decisions_from_rows(rows: Sequence[Sequence[Any]]) -> pa.Table:
    kinds = {"completed_us": pa.int64(), "enqueued_us": pa.int64(), "handle_seconds": pa.float64()}

    def column(i: int, kind: pa.DataType) -> pa.ChunkedArray:
        slices = range(0, len(rows), PYTHON_SLICE)  # short calls: the event loop gets the GIL between
        return pa.chunked_array(
            [pa.array([r[i] for r in rows[s : s + PYTHON_SLICE]], kind) for s in slices], kind
        )

    return _decisions_from_columns(
        {name: column(i, kinds.get(name, pa.string())) for i, name in enumerate(DECISION_COLUMNS)}
    )


def _decisions_from_columns(data: dict[str, Any]) -> pa.Table:
    """The stored columns as the checked table names and types them."""
    utc = pa.timestamp("us", tz="UTC")
    names = ["item_id", "queue", "vendor", "site", "labeler_id"]
    return pa.table(
        {
            **{name: data[name] for name in names},
            "enqueued_at": data["enqueued_us"].cast(utc),
            "completed_at": data["completed_us"].cast(utc),
            "handle_seconds": data["handle_seconds"],
            "decision": data["decision"],
            "qa_decision": data["qa_decision"],
            "qa_auditor": data["qa_auditor"],
        }
    )
