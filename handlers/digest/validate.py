"""Row checks for queue-data files before anything is stored.

The common case (a clean file) stays vectorised; only when a value does not parse do we look at
single values, to name the line and the column. Line numbers count the CSV header as line 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bot.workspace import Workspace
from handlers.digest.frames import (
    BACKLOG_REQUIRED,
    BACKLOG_TYPES,
    DECISION_REQUIRED,
    DECISION_TYPES,
    UTC,
    Source,
    parse_timestamps,
)

SHOWN_PROBLEMS = 20


class FileRejected(Exception):
    """The whole file is refused (a missing column, invalid rows); nothing was stored."""

    def __init__(self, message: str, problems: list[RowProblem] | None = None, invalid: int = 0):
        self.problems = problems or []
        self.invalid = invalid
        super().__init__(message)


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str


@dataclass
class Checked:
    """The valid rows, typed, and what was wrong with the others."""

    table: pa.Table
    total: int
    problems: list[RowProblem] = field(default_factory=list)
    rejected: pa.Table | None = None  # the invalid rows as read, with `line` and `reason`

    @property
    def invalid(self) -> int:
        return self.total - self.table.num_rows


def _as_bytes(source: Source) -> bytes | str | Path:
    if isinstance(source, bytes | str | Path):
        return source
    return source.read()


def _header(data: bytes | str | Path) -> list[str]:
    if isinstance(data, bytes):
        first = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    else:
        with open(data, encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline()
    return next(csv.reader([first.strip()]), [])


def _raw_table(source: Source) -> pa.Table:
    """Every column as text (CSV) or as stored (Parquet): nothing can fail to parse here."""
    data = _as_bytes(source)
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    if (isinstance(data, bytes) and data[:4] == b"PAR1") or str(data).lower().endswith((".parquet", ".pq")):
        return pq.read_table(stream)
    text = {name: pa.string() for name in _header(data)}
    options = pacsv.ConvertOptions(
        column_types=text, strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=False
    )
    try:
        return pacsv.read_csv(stream, convert_options=options)
    except pa.ArrowInvalid as exc:  # ragged rows, bad quoting: name the problem as pyarrow found it
        raise FileRejected(f"the file is not a readable CSV: {exc}") from None


def _missing(table: pa.Table, required: tuple[str, ...], what: str) -> None:
    missing = [name for name in required if name not in table.column_names]
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        plural = "s" if len(missing) > 1 else ""
        raise FileRejected(
            f"the {what} file is missing the required column{plural} {names} "
            f"(it has: {', '.join(table.column_names) or 'no columns'})"
        )


def _one_timestamp(value: str, tz: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    try:
        parse_timestamps(pa.array([value]), tz)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _typed(column: pa.ChunkedArray, kind: pa.DataType, tz: str) -> tuple[pa.ChunkedArray, pa.Array]:
    """The column cast to its type, and a mask of values that would not parse (now null)."""
    if kind == UTC:
        try:
            return parse_timestamps(column, tz), pa.repeat(False, len(column))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            values = column.to_pylist()
            bad = [v is not None and not _one_timestamp(v, tz) for v in values]
            kept = pa.array([None if b else v for v, b in zip(values, bad, strict=True)], pa.string())
            return parse_timestamps(kept, tz), pa.array(bad)
    try:
        return column.cast(kind), pa.repeat(False, len(column))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = column.to_pylist()
        out, bad = [], []
        for value in values:
            try:
                out.append(None if value is None else pa.scalar(value).cast(kind).as_py())
                bad.append(False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                out.append(None)
                bad.append(True)
        return pa.chunked_array([pa.array(out, kind)]), pa.array(bad)


class _Rules:
    """Collects (mask, reason) pairs and turns them into per-line problems and a keep-mask."""

    def __init__(self, rows: int):
        self.rows = rows
        self.rules: list[tuple[pa.Array, str]] = []

    def add(self, mask: pa.Array | pa.ChunkedArray, reason: str) -> None:
        self.rules.append((pc.fill_null(mask, False), reason))

    def verdict(self) -> tuple[pa.Array, list[RowProblem]]:
        bad = pa.repeat(False, self.rows)
        for mask, _ in self.rules:
            bad = pc.or_(bad, mask)
        problems: list[RowProblem] = []
        indices = pc.indices_nonzero(bad).to_pylist()
        for index in indices:
            reasons = [reason for mask, reason in self.rules if mask[index].as_py()]
            problems.append(RowProblem(line=index + 2, reason="; ".join(reasons)))
        return pc.invert(bad), problems


def _typed_columns(
    raw: pa.Table, types: dict[str, pa.DataType], required: tuple[str, ...], workspace: Workspace, tz: str
) -> tuple[dict[str, pa.ChunkedArray], _Rules]:
    """The columns typed (absent optional ones null), with the rules every file shares: values that do
    not parse, empty required values, queues the workspace does not know."""
    rows = raw.num_rows
    rules = _Rules(rows)
    columns: dict[str, pa.ChunkedArray] = {}
    for name, kind in types.items():
        if name not in raw.column_names:
            columns[name] = pa.chunked_array([pa.nulls(rows, kind)])
            continue
        columns[name], unparsable = _typed(raw[name], kind, tz)
        rules.add(unparsable, f"{name}: {'not an ISO 8601 time' if kind == UTC else 'not a number'}")
    for name in required:
        rules.add(pc.is_null(raw[name]), f"{name}: empty")
    known = pa.array([q.id for q in workspace.queues])
    unknown = pc.and_(pc.is_valid(raw["queue"]), pc.invert(pc.is_in(raw["queue"], value_set=known)))
    rules.add(unknown, "queue is not in the workspace file")
    return columns, rules


def check_decisions(source: Source, workspace: Workspace, tz: str) -> Checked:
    raw = _raw_table(source)
    _missing(raw, DECISION_REQUIRED, "decisions")
    columns, rules = _typed_columns(raw, DECISION_TYPES, DECISION_REQUIRED, workspace, tz)
    rules.add(pc.less(columns["completed_at"], columns["enqueued_at"]), "completed_at is before enqueued_at")
    rules.add(pc.less(columns["handle_seconds"], 0), "handle_seconds is negative")
    keep, problems = rules.verdict()
    table = _fill_vendor_site(pa.table(columns).filter(keep), workspace)
    return Checked(table, raw.num_rows, problems, _rejected(raw, keep, problems))


def _fill_vendor_site(table: pa.Table, workspace: Workspace) -> pa.Table:
    """Vendor and site from the queue's configuration where the file leaves them empty."""
    positions = pc.index_in(table["queue"], value_set=pa.array([q.id for q in workspace.queues]))
    for name in ("vendor", "site"):
        defaults = pc.take(pa.array([getattr(q, name) for q in workspace.queues]), positions)
        index = table.column_names.index(name)
        table = table.set_column(index, name, pc.coalesce(table[name], defaults))
    return table


def check_backlog(source: Source, workspace: Workspace, tz: str) -> Checked:
    raw = _raw_table(source)
    _missing(raw, BACKLOG_REQUIRED, "backlog")
    columns, rules = _typed_columns(raw, BACKLOG_TYPES, BACKLOG_REQUIRED, workspace, tz)
    rules.add(pc.less(columns["backlog"], 0), "backlog is negative")
    keep, problems = rules.verdict()
    return Checked(pa.table(columns).filter(keep), raw.num_rows, problems, _rejected(raw, keep, problems))


def _rejected(raw: pa.Table, keep: pa.Array, problems: list[RowProblem]) -> pa.Table:
    rows = raw.filter(pc.invert(keep))
    rows = rows.add_column(0, "reason", pa.array([p.reason for p in problems], pa.string()))
    return rows.add_column(0, "line", pa.array([p.line for p in problems], pa.int64()))
