"""The audited sample coming back: the auditors' CSV (export.py) with `qa_decision` filled in, sent to
the bot (a DM, an ingest channel) or given to `tsqa sampling returns FILE`.

Every row is checked first and the file is taken all or nothing: its key must be a stored decision
(read with one query for the file's time span), its `qa_decision` one of the queue's labels. The audits
are then stored through `ingest_decisions` with full decision rows built from the stored ones, so the
locking, the filling of audits and the recomputed days are the ingest's own: there is no second way
of writing decisions. A lot is judged at the queue's next draw (lots.py), not here.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from bot.workspace import Workspace
from handlers.queue_data.ingest import ingest_decisions
from handlers.queue_data.uploads import MB
from handlers.queue_data.validate import SHOWN_PROBLEMS, FileRejected
from handlers.sampling import store
from handlers.sampling.export import COLUMNS
from storage import queue_data
from storage.engine import Database

REQUIRED = tuple(c for c in COLUMNS if c != "link")
MAX_BYTES = 8 * MB  # the largest ISO 2859-1 sample is 2,000 rows, a few hundred KB as CSV
NAMED = "audit-sample"  # daily.DayDraw.filename: how a returned file is known in an ingest channel
QUEUE_DATA_ONLY = ("enqueued_at", "handle_seconds")  # required in queue data, never in the auditors' file
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FORMULA_QUOTED = ("'=", "'+", "'-", "'@", "'\t", "'\r")  # what bot/csvsafe.py put before a formula


@dataclass(frozen=True)
class AuditRow:
    """One audited row of the file, its key as stored (`completed_us`)."""

    line: int
    queue: str
    item_id: str
    completed_us: int
    qa_decision: str
    qa_auditor: str


@dataclass
class ParsedReturns:
    """The file read: the audited rows, how many were not audited yet (empty `qa_decision`), problems."""

    rows: list[AuditRow] = field(default_factory=list)
    total: int = 0
    not_audited: int = 0
    problems: list[str] = field(default_factory=list)


class ReturnsRefused(Exception):
    """The file has problems: nothing was stored. `problems` are `line N: column: …`."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems):,} problems")
        self.problems = problems


@dataclass(frozen=True)
class SampleDay:
    """A drawn (queue, day) the file's rows belong to, as the queue data has it now."""

    queue: str
    day: date
    drawn: int  # the plan's sample: what judges the lot (store.returned)
    audited: int  # of the plan's sample
    nonconforming: int
    from_file: int  # audits this file brought for that day
    extra: int = 0  # drawn beyond the plan for the labelers' minimums: audited, not judging the lot


@dataclass
class ReturnsReport:
    name: str
    total: int
    filled: int = 0
    already: int = 0
    not_audited: int = 0
    changed: list[int] = field(default_factory=list)  # lines whose verdict differs from the stored one
    days: list[SampleDay] = field(default_factory=list)


def header_of(content: bytes) -> list[str] | None:
    """The first non-empty row's names, lower-cased; None when the file is not UTF-8 text."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    for row in csv.reader(io.StringIO(text)):
        if any(cell.strip() for cell in row):
            return [cell.strip().lower() for cell in row]
    return None


def is_returns_file(content: bytes) -> bool:
    """An auditors' file: every column the export writes (`link` may be left out), and none that only
    full queue data has (an export of decisions names its auditors too, and is the ingest's)."""
    names = header_of(content)
    return names is not None and set(REQUIRED) <= set(names) and not set(QUEUE_DATA_ONLY) & set(names)


def _plain(value: str | None) -> str:
    """A cell as written before bot/csvsafe.py quoted it (a text editor keeps the `'`)."""
    cell = (value or "").strip()
    return cell[1:] if cell.startswith(_FORMULA_QUOTED) else cell


def _micros(text: str, zone: ZoneInfo) -> int | None:
    """`completed_at` as the export wrote it (ISO 8601 in UTC); without an offset, workspace time."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_returns(
    text: str, workspace: Workspace, queues: Collection[str] | None = None, queues_reason: str = ""
) -> ParsedReturns:
    """Every row checked without the database: a known queue the sender may load (`queues`: a vendor
    lead's own, None for all), a readable time, an item, a `qa_decision` among the queue's labels (its
    spelling taken), no decision twice. Empty `qa_decision`: not audited yet, counted and left out."""
    parsed = ParsedReturns()
    zone = ZoneInfo(workspace.timezone)
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
    seen: dict[tuple[str, str, int], int] = {}
    for record in reader:
        line = reader.line_num
        if not any((value or "").strip() for value in record.values() if isinstance(value, str)):
            continue
        parsed.total += 1
        problems: list[str] = []
        queue_id = _plain(record.get("queue"))
        queue = workspace.queue(queue_id)
        if queue is None:
            known = ", ".join(q.id for q in workspace.queues)
            problems.append(f"line {line}: queue: no queue {queue_id!r}; the queues are {known}")
        elif queues is not None and queue_id not in queues:
            problems.append(f"line {line}: queue: {queue_id} is {queues_reason}")
        item_id = _plain(record.get("item_id"))
        if not item_id:
            problems.append(f"line {line}: item_id: empty")
        stamp = (record.get("completed_at") or "").strip()
        completed_us = _micros(stamp, zone)
        if completed_us is None:
            problems.append(
                f"line {line}: completed_at: {stamp!r} is not a time like 2026-11-23T08:15:00+00:00"
            )
        verdict = _plain(record.get("qa_decision"))
        if verdict and queue is not None and queue.labels:
            spelled = {label.lower(): label for label in queue.labels}
            if verdict.lower() in spelled:
                verdict = spelled[verdict.lower()]
            else:
                labels = ", ".join(queue.labels)
                problems.append(
                    f"line {line}: qa_decision: {verdict!r} is not one of {queue_id}'s labels ({labels})"
                )
        if completed_us is not None and item_id:
            key = (queue_id, item_id, completed_us)
            if key in seen:
                problems.append(f"line {line}: item_id: the same decision as line {seen[key]}")
            seen.setdefault(key, line)
        parsed.problems.extend(problems)
        if problems:
            continue
        if not verdict:
            parsed.not_audited += 1
            continue
        assert completed_us is not None
        auditor = _plain(record.get("qa_auditor"))
        parsed.rows.append(AuditRow(line, queue_id, item_id, completed_us, verdict, auditor))
    if parsed.total == 0:
        parsed.problems.append("line 2: queue: the file has no rows")
    return parsed


def _returned_table(rows: list[AuditRow]) -> pa.Table:
    return pa.table(
        {
            "queue": pa.array([r.queue for r in rows], pa.string()),
            "item_id": pa.array([r.item_id for r in rows], pa.string()),
            "completed_us": pa.array([r.completed_us for r in rows], pa.int64()),
            "line": pa.array([r.line for r in rows], pa.int64()),
            "returned_qa": pa.array([r.qa_decision for r in rows], pa.string()),
            "qa_auditor": pa.array([r.qa_auditor for r in rows], pa.string()),
        }
    )


@dataclass(frozen=True)
class Joined:
    """The file's audited rows joined to the stored decisions: full rows for the ingest (the ones
    still without an audit), the lines whose decision is not stored, and the ones audited before."""

    fresh: pa.Table
    missing: list[int]
    already: list[int]
    changed: list[int]  # audited before with another verdict: kept (changing one is an appeal)
    fresh_lines: list[int]  # the file's line of each row of `fresh`, in order


def join_stored(rows: list[AuditRow], stored: pa.Table) -> Joined:
    """Heavy for a large span: run in a thread."""
    returned = _returned_table(rows)
    if "qa_auditor" in stored.column_names:  # the file's auditor is the one stored
        stored = stored.drop_columns(["qa_auditor"])
    keyed = stored.append_column("completed_us", stored["completed_at"].cast(pa.int64()))
    keyed = keyed.append_column("stored", pa.array([True] * keyed.num_rows, pa.bool_()))
    both = returned.join(keyed, ["queue", "item_id", "completed_us"], join_type="left outer")
    found = pc.fill_null(both["stored"], False)
    missing = sorted(both.filter(pc.invert(found))["line"].to_pylist())
    both = both.filter(found)
    had = pc.fill_null(pc.not_equal(both["qa_decision"], ""), False)
    before = both.filter(had)
    already = sorted(before["line"].to_pylist())
    changed = sorted(
        before.filter(pc.not_equal(before["qa_decision"], before["returned_qa"]))["line"].to_pylist()
    )
    fresh = both.filter(pc.invert(had)).sort_by("line")
    fresh = fresh.set_column(fresh.column_names.index("qa_decision"), "qa_decision", fresh["returned_qa"])
    names = [
        "item_id", "queue", "vendor", "site", "labeler_id", "enqueued_at", "completed_at", "handle_seconds",
        "decision", "qa_decision", "qa_auditor",
    ]  # fmt: skip
    return Joined(fresh.select(names), missing, already, changed, fresh["line"].to_pylist())


def as_csv(table: pa.Table) -> bytes:
    """The rows for `ingest_decisions`, plain CSV: this file goes to the ingest, never to a spreadsheet,
    so nothing is quoted against formulas (that would change the keys)."""
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    return buffer.getvalue()


def _instant(completed_us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=completed_us)


def _day_of(completed_us: int, zone: ZoneInfo) -> date:
    return _instant(completed_us).astimezone(zone).date()


async def take_back(
    db: Database,
    workspace: Workspace,
    name: str,
    content: bytes | str,
    *,
    now: datetime,
    queues: Collection[str] | None = None,
    queues_reason: str = "",
) -> ReturnsReport:
    """Check the returned file and store its audits through the ingest; ReturnsRefused (nothing stored)
    with every problem by line when a row is wrong."""
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    parsed = await asyncio.to_thread(parse_returns, text, workspace, queues, queues_reason)
    if parsed.problems:
        raise ReturnsRefused(parsed.problems)
    report = ReturnsReport(name, parsed.total, not_audited=parsed.not_audited)
    if not parsed.rows:
        return report
    first = min(r.completed_us for r in parsed.rows)
    last = max(r.completed_us for r in parsed.rows)
    async with db.transaction() as session:  # QA's audits as stored: an appeal's outcome is no new verdict
        stored = await queue_data.decisions_between(session, first, last + 1, outcomes=False)
    joined = await asyncio.to_thread(join_stored, parsed.rows, stored)
    if joined.missing:
        by_line = {r.line: r for r in parsed.rows}
        raise ReturnsRefused(
            [
                f"line {n}: item_id: no stored decision {by_line[n].item_id!r} on {by_line[n].queue} "
                f"completed at {_instant(by_line[n].completed_us).isoformat()}"
                for n in joined.missing
            ]
        )
    if joined.fresh.num_rows:
        data = await asyncio.to_thread(as_csv, joined.fresh)
        try:
            ingested = await ingest_decisions(
                db, workspace, data, name, now=now, queues=queues, queues_reason=queues_reason
            )
        except FileRejected as exc:  # the stored rows are valid: only a changed workspace gets here
            lines = joined.fresh_lines  # line 2 of the ingest's CSV is its first row
            said = [
                f"line {lines[p.line - 2]}: {p.reason}" for p in exc.problems if 2 <= p.line < len(lines) + 2
            ]
            raise ReturnsRefused(said or [str(exc)]) from None
        report.filled = ingested.audits_added
    report.already = len(parsed.rows) - report.filled
    report.changed = joined.changed
    report.days = await _sample_days(db, workspace, parsed.rows, set(joined.already))
    return report


async def _sample_days(
    db: Database, workspace: Workspace, rows: list[AuditRow], before: set[int]
) -> list[SampleDay]:
    zone = ZoneInfo(workspace.timezone)  # the draw's day is the workspace's (daily.day_decisions)
    brought: dict[tuple[str, date], int] = defaultdict(int)
    for row in rows:
        brought[(row.queue, _day_of(row.completed_us, zone))] += row.line not in before
    days = []
    for (queue, day), count in sorted(brought.items()):
        back = await store.returned(db, queue, day)
        days.append(SampleDay(queue, day, back.drawn, back.audited, back.nonconforming, count, back.extra))
    return days


# ----- what the sender reads -----


def report_lines(report: ReturnsReport) -> list[str]:
    """The answer's figures, the same words in chat and on the command line."""
    lines = [
        f"{report.name}: {report.total:,} rows read; {report.filled:,} audits filled, "
        f"{report.already:,} already audited, {report.not_audited:,} not audited yet"
    ]
    if report.changed:
        shown = ", ".join(str(n) for n in report.changed[:10]) + (" …" if len(report.changed) > 10 else "")
        many = len(report.changed) > 1
        lines.append(
            f"{len(report.changed):,} {'verdicts differ' if many else 'verdict differs'} from the audit "
            f"stored before, kept as stored ({'lines' if many else 'line'} {shown}): a changed verdict "
            "is an appeal"
        )
    for day in report.days:
        if day.drawn == 0:
            lines.append(f"{day.queue} {day.day}: no sample was drawn that day ({day.from_file} audits)")
            continue
        extra = f"; {day.extra:,} more drawn for the labelers' minimums do not judge it" if day.extra else ""
        lines.append(
            f"{day.queue} {day.day}: {day.drawn:,} drawn for the plan, {day.audited:,} of them audited now, "
            f"{day.nonconforming:,} nonconforming so far ({day.from_file:,} audits from this file){extra}"
        )
    if any(day.drawn for day in report.days):
        lines.append("The lot is judged at the next draw.")
    return lines


def refusal_lines(name: str, problems: list[str]) -> list[str]:
    lines = [f"{name}: refused, nothing stored: {len(problems):,} problems"]
    lines.extend(f"  {p}" for p in problems[:SHOWN_PROBLEMS])
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"  … and {len(problems) - SHOWN_PROBLEMS:,} more")
    return lines


def as_json(report: ReturnsReport) -> dict:
    return {
        "file": report.name,
        "rows": report.total,
        "filled": report.filled,
        "already_audited": report.already,
        "not_audited": report.not_audited,
        "changed_lines": report.changed,
        "days": [
            {
                "queue": d.queue,
                "day": d.day.isoformat(),
                "drawn": d.drawn,
                "audited": d.audited,
                "nonconforming": d.nonconforming,
                "extra": d.extra,
                "from_file": d.from_file,
            }  # fmt: skip
            for d in report.days
        ],
    }
