"""Typed loading of decision and backlog files into Arrow tables, timestamps parsed once to UTC.

Row validation lives elsewhere; this module only makes columns typed and names missing columns.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

UTC = pa.timestamp("us", tz="UTC")
DECISION_REQUIRED = ("item_id", "queue", "labeler_id", "enqueued_at", "completed_at", "handle_seconds")
DECISION_TYPES: dict[str, pa.DataType] = {
    "item_id": pa.string(),
    "queue": pa.string(),
    "vendor": pa.string(),
    "site": pa.string(),
    "labeler_id": pa.string(),
    "enqueued_at": UTC,
    "completed_at": UTC,
    "handle_seconds": pa.float64(),
    "decision": pa.string(),
    "qa_decision": pa.string(),
    "qa_auditor": pa.string(),  # optional: who audited (an appeal's reviewer must be someone else)
}
BACKLOG_REQUIRED = ("queue", "at", "backlog")
BACKLOG_TYPES: dict[str, pa.DataType] = {
    "queue": pa.string(),
    "at": UTC,
    "backlog": pa.int64(),
    "oldest_age_seconds": pa.float64(),
}
_OFFSET = r"([Zz]|[+-]\d\d(:?\d\d)?)$"

Source = str | Path | IO[bytes] | bytes


def parse_timestamps(values: pa.Array | pa.ChunkedArray, tz: str) -> pa.ChunkedArray:
    """ISO 8601 strings (or timestamps) to UTC; values without an offset are local times in `tz`.

    Ambiguous or skipped local times at a DST change resolve to the earliest instant.
    """
    values = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
    kind = values.type
    if pa.types.is_timestamp(kind):
        if kind.tz is None:
            values = pc.assume_timezone(values, tz, ambiguous="earliest", nonexistent="earliest")
        return values.cast(UTC)
    values = values.cast(pa.string())
    aware = pc.match_substring_regex(values, _OFFSET)
    from_offset = pc.if_else(aware, values, pa.scalar(None, pa.string())).cast(UTC)
    naive = pc.if_else(aware, pa.scalar(None, pa.string()), values).cast(pa.timestamp("us"))
    local = pc.assume_timezone(naive, tz, ambiguous="earliest", nonexistent="earliest")
    return pc.coalesce(from_offset, local.cast(UTC))


def _rewindable(source: Source) -> str | Path | io.BytesIO | IO[bytes]:
    """A source that can be read twice (the CSV reader may need a second, slower pass)."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, str | Path) or source.seekable():
        return source
    return io.BytesIO(source.read())


def _is_parquet(source: str | Path | IO[bytes]) -> bool:
    if isinstance(source, str | Path):
        if Path(source).suffix.lower() in {".parquet", ".pq"}:
            return True
        with open(source, "rb") as handle:
            return handle.read(4) == b"PAR1"
    start = source.tell()
    magic = source.read(4)
    source.seek(start)
    return magic == b"PAR1"


def _first_row(source: str | Path | IO[bytes]) -> dict[str, str]:
    """Header and first data row, to pick offset-aware or local timestamp types for the fast pass."""
    if isinstance(source, str | Path):
        with pa.input_stream(str(source)) as stream:  # decompresses .gz and friends by extension
            head = stream.read(1 << 16)
    else:
        start = source.tell()
        head = source.read(1 << 16)
        source.seek(start)
    rows = list(csv.reader(head.decode("utf-8", "replace").splitlines()[:2]))
    return dict(zip(rows[0], rows[1], strict=False)) if len(rows) == 2 else {}


def _read_csv(source: str | Path | IO[bytes], types: dict[str, pa.DataType], tz: str) -> pa.Table:
    """One typed pass when each timestamp column is all-offset or all-local (judged by the first row);
    otherwise a second pass reads them as text and parses the mixed values."""
    options = dict(strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=False)
    first = _first_row(source)
    fast = {
        k: pa.timestamp("us") if v == UTC and not re.search(_OFFSET, first.get(k) or "Z") else v
        for k, v in types.items()
    }
    start = None if isinstance(source, str | Path) else source.tell()
    try:
        return pacsv.read_csv(source, convert_options=pacsv.ConvertOptions(column_types=fast, **options))
    except pa.ArrowInvalid:  # mixed timestamps, or a bad value the second pass reports again
        if start is not None:
            source.seek(start)
    text_types = {k: pa.string() if v == UTC else v for k, v in types.items()}
    return pacsv.read_csv(source, convert_options=pacsv.ConvertOptions(column_types=text_types, **options))


def _read(
    source: Source, tz: str, types: dict[str, pa.DataType], required: tuple[str, ...], what: str
) -> pa.Table:
    """Read CSV or Parquet, check required columns, and return the known columns typed, in order."""
    source = _rewindable(source)
    table = pq.read_table(source) if _is_parquet(source) else _read_csv(source, types, tz)
    missing = [name for name in required if name not in table.column_names]
    if missing:
        where = f"{source}: " if isinstance(source, str | Path) else ""
        names = ", ".join(repr(m) for m in missing)
        raise ValueError(
            f"{where}the {what} file is missing the required column{'s' if len(missing) > 1 else ''} {names} "
            f"(it has: {', '.join(table.column_names)})"
        )
    columns: dict[str, pa.ChunkedArray] = {}
    for name, kind in types.items():
        if name not in table.column_names:
            columns[name] = pa.chunked_array([pa.nulls(table.num_rows, kind)])
        elif kind == UTC:
            columns[name] = parse_timestamps(table[name], tz)
        else:
            columns[name] = table[name].cast(kind)
    return pa.table(columns)


def read_decisions(source: Source, tz: str) -> pa.Table:
    """Decisions from CSV or Parquet with the columns of DECISION_TYPES (absent optional ones are null).

    Extra columns are dropped; empty strings in CSV are null (so an empty `qa_decision` means not audited,
    and an empty `qa_auditor` that no auditor was named).
    """
    return _read(source, tz, DECISION_TYPES, DECISION_REQUIRED, "decisions")


def read_backlog(source: Source, tz: str) -> pa.Table:
    """Backlog snapshots (`queue`, `at`, `backlog`, optional `oldest_age_seconds`) from CSV or Parquet."""
    return _read(source, tz, BACKLOG_TYPES, BACKLOG_REQUIRED, "backlog")
