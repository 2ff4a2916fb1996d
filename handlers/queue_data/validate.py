"""Row checks for queue-data files before anything is stored.

Every check is vectorised, including the path for files with bad values: a value that does not
parse is found by converting slices and halving only the slices that fail, so one bad timestamp
in a million rows costs a few small conversions, not a Python loop over the column. Line numbers
count the CSV header as line 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC as UTC_ZONE
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bot.workspace import Workspace
from handlers.queue_data.frames import (
    BACKLOG_REQUIRED,
    BACKLOG_TYPES,
    DECISION_REQUIRED,
    DECISION_TYPES,
    UTC,
    Source,
    parse_timestamps,
)

SHOWN_PROBLEMS = 20
AUDITOR_LENGTH = 128  # as the decisions table stores it
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC_ZONE)
AHEAD = timedelta(days=1)  # clocks and timezones differ a little; further ahead is a wrong value
_SLICE = 65_536  # conversion granularity on the bad-value path


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


@dataclass(frozen=True)
class Bounds:
    """What a file may hold beyond its columns: times up to `now` + a day, at most `max_rows` rows,
    and, for a vendor lead's upload, only `queues` (others are invalid with `queues_reason`)."""

    now: datetime
    max_rows: int = 5_000_000
    queues: frozenset[str] | None = None
    queues_reason: str = ""


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
        end = data.find(b"\n")
        first = data[: end if end >= 0 else len(data)].decode("utf-8-sig", errors="replace")
    else:
        with open(data, encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline()
    return next(csv.reader([first.strip()]), [])


def _too_many(rows: int, max_rows: int) -> None:
    if rows > max_rows:
        raise FileRejected(
            f"the file has {rows:,} rows, more than the limit of {max_rows:,} (ingest.max_rows): "
            "split it into smaller files"
        )


def _read_parquet(stream: io.BytesIO | str | Path, max_rows: int) -> pa.Table:
    """The row count comes from the footer, so an oversized file is refused before it is decompressed."""
    try:
        rows = pq.ParquetFile(stream).metadata.num_rows
        _too_many(rows, max_rows)
        if isinstance(stream, io.BytesIO):
            stream.seek(0)
        return pq.read_table(stream)
    except (pa.ArrowInvalid, OSError) as exc:
        raise FileRejected(f"the file is not a readable Parquet file: {exc}") from None


def _line_numbers(data: bytes | str | Path) -> np.ndarray | None:
    """The file line of each data row when blank lines (which the CSV reader skips) shift them, else
    None (row i is line i + 2). Uploads only: a file on disk is not read twice to find out."""
    if not isinstance(data, bytes) or (b"\n\n" not in data and b"\n\r\n" not in data):
        return None
    buffer = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(buffer == 10)
    starts = np.concatenate(([0], ends + 1))
    length = np.concatenate((ends, [len(buffer)])) - starts
    carriage_only = (length == 1) & (buffer[np.minimum(starts, len(buffer) - 1)] == 13)
    written = np.flatnonzero((length > 0) & ~carriage_only) + 1
    return written[1:]  # the first written line is the header


def _raw_table(source: Source, max_rows: int) -> tuple[pa.Table, np.ndarray | None]:
    """Every column as text (CSV) or as stored (Parquet): nothing can fail to parse here. With the
    file line of each row where it is not simply row + 2."""
    data = _as_bytes(source)
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    named_parquet = not isinstance(data, bytes) and str(data).lower().endswith((".parquet", ".pq"))
    if named_parquet or (isinstance(data, bytes) and data[:4] == b"PAR1"):
        return _read_parquet(stream, max_rows), None
    text = {name: pa.string() for name in _header(data)}
    options = pacsv.ConvertOptions(
        column_types=text, strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=False
    )
    try:
        table = pacsv.read_csv(stream, convert_options=options)
    except pa.ArrowInvalid as exc:  # ragged rows, bad quoting: name the problem as pyarrow found it
        raise FileRejected(f"the file is not a readable CSV: {exc}") from None
    _too_many(table.num_rows, max_rows)
    lines = _line_numbers(data)
    return table, lines if lines is not None and len(lines) == table.num_rows else None


def _missing(table: pa.Table, required: tuple[str, ...], what: str) -> None:
    missing = [name for name in required if name not in table.column_names]
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        plural = "s" if len(missing) > 1 else ""
        raise FileRejected(
            f"the {what} file is missing the required column{plural} {names} "
            f"(it has: {', '.join(table.column_names) or 'no columns'})"
        )


Convert = Callable[[pa.ChunkedArray], pa.ChunkedArray]
_FAILED = (pa.ArrowInvalid, pa.ArrowNotImplementedError)


def _convert_or_null(
    column: pa.ChunkedArray, convert: Convert, kind: pa.DataType
) -> tuple[pa.ChunkedArray, pa.Array]:
    """`convert(column)`, with the values it cannot take made null and marked in the returned mask.

    A clean column converts in one call; otherwise slices convert on their own and only failing
    slices are halved, down to the single bad values."""
    try:
        return convert(column), pa.repeat(False, len(column))
    except _FAILED:
        pass
    pieces: list[pa.Array] = []
    marks: list[pa.Array] = []

    def walk(part: pa.ChunkedArray) -> None:
        try:
            pieces.extend(convert(part).chunks)
            marks.append(pa.repeat(False, len(part)))
        except _FAILED:
            if len(part) == 1:
                pieces.append(pa.nulls(1, kind))
                marks.append(pa.array([True]))
                return
            half = len(part) // 2
            walk(part.slice(0, half))
            walk(part.slice(half))

    for start in range(0, len(column), _SLICE):
        walk(column.slice(start, _SLICE))
    return pa.chunked_array(pieces, kind), pa.concat_arrays(marks)


def _typed(column: pa.ChunkedArray, kind: pa.DataType, tz: str) -> tuple[pa.ChunkedArray, pa.Array]:
    """The column cast to its type, and a mask of values that would not parse (now null)."""
    if kind == UTC:
        return _convert_or_null(column, lambda part: parse_timestamps(part, tz), kind)
    typed, bad = _convert_or_null(column, lambda part: part.cast(kind), kind)
    if pa.types.is_floating(kind):  # "nan" and "inf" parse as floats but are no measurement
        not_finite = pc.invert(pc.fill_null(pc.is_finite(typed), True))
        typed = pc.if_else(not_finite, pa.scalar(None, kind), typed)
        bad = pc.or_(bad, not_finite.combine_chunks())
    return typed, bad


# One text for every row, or a function giving the text of the rows at some indices (called for
# the invalid rows only, so naming the offending values costs nothing on a clean file).
Reason = str | Callable[[pa.Array], pa.Array]


class _Rules:
    """Collects (mask, reason) pairs and turns them into per-line problems and a keep-mask."""

    def __init__(self, rows: int, lines: np.ndarray | None = None):
        self.rows = rows
        self.lines = lines
        self.rules: list[tuple[pa.Array, Reason]] = []

    def add(self, mask: pa.Array | pa.ChunkedArray, reason: Reason) -> None:
        self.rules.append((pc.fill_null(mask, False), reason))

    def verdict(self) -> tuple[pa.Array, list[RowProblem], pa.Array]:
        """The keep-mask, the problems, and the reasons of the rejected rows in order."""
        bad = pa.repeat(False, self.rows)
        for mask, _ in self.rules:
            bad = pc.or_(bad, mask)
        where = pc.indices_nonzero(bad)
        texts = []
        for mask, reason in self.rules:
            hit = pc.take(mask, where)
            said = pa.scalar(reason) if isinstance(reason, str) else reason(where)
            texts.append(pc.if_else(hit, said, pa.scalar(None, pa.string())))
        reasons = pc.binary_join_element_wise(*texts, "; ", null_handling="skip")
        lines = pc.add(where, 2).to_pylist() if self.lines is None else self.lines[where.to_numpy()].tolist()
        problems = [RowProblem(line, text) for line, text in zip(lines, reasons.to_pylist(), strict=True)]
        keep = pc.invert(bad)
        return (keep.combine_chunks() if isinstance(keep, pa.ChunkedArray) else keep), problems, reasons


def _range_rules(rules: _Rules, name: str, column: pa.ChunkedArray, now: datetime) -> None:
    rules.add(pc.less(column, pa.scalar(EARLIEST, UTC)), f"{name}: before {EARLIEST.date()}")
    rules.add(pc.greater(column, pa.scalar(now + AHEAD, UTC)), f"{name}: more than a day after now")


def _typed_columns(
    raw: pa.Table,
    types: dict[str, pa.DataType],
    required: tuple[str, ...],
    workspace: Workspace,
    bounds: Bounds,
    tz: str,
    lines: np.ndarray | None = None,
) -> tuple[dict[str, pa.ChunkedArray], _Rules]:
    """The columns typed (absent optional ones null), with the rules every file shares: values that do
    not parse or lie outside a sane time range, empty required values, queues the workspace does not
    know (or this uploader may not load)."""
    rows = raw.num_rows
    rules = _Rules(rows, lines)
    columns: dict[str, pa.ChunkedArray] = {}
    for name, kind in types.items():
        if name not in raw.column_names:
            columns[name] = pa.chunked_array([pa.nulls(rows, kind)])
            continue
        columns[name], unparsable = _typed(raw[name], kind, tz)
        rules.add(unparsable, f"{name}: {'not an ISO 8601 time' if kind == UTC else 'not a number'}")
        if kind == UTC:
            _range_rules(rules, name, columns[name], bounds.now)
    for name in required:
        rules.add(pc.is_null(raw[name]), f"{name}: empty")
    # Typed as text: a Parquet file may store the queue as a number, and is_in must compare like with like.
    queue = columns["queue"] if "queue" in columns else raw["queue"].cast(pa.string())
    known = pa.array([q.id for q in workspace.queues], pa.string())
    unknown = pc.and_(pc.is_valid(queue), pc.invert(pc.is_in(queue, value_set=known)))
    rules.add(unknown, "queue is not in the workspace file")
    if bounds.queues is not None:
        others = pc.invert(pc.is_in(queue, value_set=pa.array(sorted(bounds.queues), pa.string())))
        rules.add(pc.and_(pc.invert(unknown), others), f"queue: {bounds.queues_reason}")
    return columns, rules


def _configured(queue: pa.ChunkedArray, workspace: Workspace, name: str) -> pa.ChunkedArray:
    """The queue's configured vendor or site per row (null for unknown queues)."""
    positions = pc.index_in(queue, value_set=pa.array([q.id for q in workspace.queues]))
    return pc.take(pa.array([getattr(q, name) for q in workspace.queues], pa.string()), positions)


def _contradiction_rules(rules: _Rules, columns: dict[str, pa.ChunkedArray], workspace: Workspace) -> None:
    """A row's vendor or site must be its queue's: a vendor cannot file figures under another's queue."""
    for name in ("vendor", "site"):
        configured = _configured(columns["queue"], workspace, name)
        given = columns[name]
        clash = pc.and_(pc.and_(pc.is_valid(given), pc.is_valid(configured)), pc.not_equal(given, configured))

        def reason(rows: pa.Array, name: str = name, given=given, configured=configured) -> pa.Array:  # noqa: ANN001
            queue = pc.take(columns["queue"], rows)
            said, wanted = pc.take(given, rows), pc.take(configured, rows)
            return pc.binary_join_element_wise(
                f"{name}: ", said, " is not queue ", queue, f"'s {name} (", wanted, ")", ""
            )

        rules.add(clash, reason)


def _auditor_rules(rules: _Rules, columns: dict[str, pa.ChunkedArray]) -> None:
    """`qa_auditor` trimmed, blank as none; a named auditor needs an audit (an appeal excludes the
    auditor of a verdict, so an auditor with no verdict is a mistake in the file)."""
    trimmed = pc.utf8_trim_whitespace(columns["qa_auditor"])
    auditor = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    columns["qa_auditor"] = auditor
    rules.add(
        pc.greater(pc.utf8_length(auditor), AUDITOR_LENGTH),
        f"qa_auditor: longer than {AUDITOR_LENGTH} characters",
    )
    audited = pc.fill_null(pc.not_equal(columns["qa_decision"], ""), False)
    rules.add(pc.and_(pc.is_valid(auditor), pc.invert(audited)), "qa_auditor without qa_decision")


def check_decisions(source: Source, workspace: Workspace, tz: str, bounds: Bounds) -> Checked:
    raw, lines = _raw_table(source, bounds.max_rows)
    _missing(raw, DECISION_REQUIRED, "decisions")
    columns, rules = _typed_columns(raw, DECISION_TYPES, DECISION_REQUIRED, workspace, bounds, tz, lines)
    rules.add(pc.less(columns["completed_at"], columns["enqueued_at"]), "completed_at is before enqueued_at")
    rules.add(pc.less(columns["handle_seconds"], 0), "handle_seconds is negative")
    _contradiction_rules(rules, columns, workspace)
    _auditor_rules(rules, columns)
    keep, problems, reasons = rules.verdict()
    table = pa.table(columns).filter(keep)
    for name in ("vendor", "site"):  # empty in the file: the queue's
        filled = pc.coalesce(table[name], _configured(table["queue"], workspace, name))
        table = table.set_column(table.column_names.index(name), name, filled)
    return Checked(table, raw.num_rows, problems, _rejected(raw, keep, problems, reasons))


def check_backlog(source: Source, workspace: Workspace, tz: str, bounds: Bounds) -> Checked:
    raw, lines = _raw_table(source, bounds.max_rows)
    _missing(raw, BACKLOG_REQUIRED, "backlog")
    columns, rules = _typed_columns(raw, BACKLOG_TYPES, BACKLOG_REQUIRED, workspace, bounds, tz, lines)
    rules.add(pc.less(columns["backlog"], 0), "backlog is negative")
    keep, problems, reasons = rules.verdict()
    return Checked(
        pa.table(columns).filter(keep), raw.num_rows, problems, _rejected(raw, keep, problems, reasons)
    )


def _rejected(raw: pa.Table, keep: pa.Array, problems: list[RowProblem], reasons: pa.Array) -> pa.Table:
    rows = raw.filter(pc.invert(keep))
    rows = rows.add_column(0, "reason", reasons.cast(pa.string()))
    return rows.add_column(0, "line", pa.array([p.line for p in problems], pa.int64()))
