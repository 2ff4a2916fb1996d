"""A cohort's roster: each labeler's ID as it appears in the queue data, so their nesting quality can be
joined to the audits. CSV `user,labeler_id`, one labeler a row.

Also the CSV reading the cohort import shares (size cap, UTF-8 with or without a BOM, header names in
any case, line numbers as a spreadsheet shows them) and reading one cell as a person.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from bot.workspace import Workspace
from bot.workspace_ids import reference
from handlers.quiz.assign import Target

MAX_CSV_BYTES = 5 * 1024 * 1024
ROSTER_COLUMNS = ("user", "labeler_id")
MAX_LABELER_ID = 255  # training_members.labeler_id


class RosterCsvError(Exception):
    """The roster cannot be used; `problems` are `line N: column: what is wrong`. Nothing was stored."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class CsvRow:
    """One data row: its first line in the file (the header is line 1) and its cells by column."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


def read_rows(
    content: bytes, columns: Iterable[str], required: Iterable[str]
) -> tuple[list[CsvRow], list[str]]:
    """The file's non-blank rows, cells stripped, by lower-cased header name; with the problems of the
    file itself (size, encoding, header, ragged rows). Rows are only worth checking when there are none
    about the header."""
    columns, required = tuple(columns), tuple(required)
    if len(content) > MAX_CSV_BYTES:
        return [], [f"the file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB"]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [f"the file is not UTF-8 text (byte {exc.start}): save it as CSV UTF-8"]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        return [], [f"line 1: header: not readable as CSV ({exc})"]
    if not any(header):
        return [], [
            "line 1: header: the file is empty; the first line names the columns: " + ", ".join(columns)
        ]
    problems = _header_problems(header, columns, required)
    if problems:
        return [], problems
    rows: list[CsvRow] = []
    last = 1
    try:
        for values in reader:
            line, last = last + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                problems.append(f"line {line}: {len(values)} fields, the header has {len(header)}")
                continue
            cells = {name: value.strip() for name, value in zip(header, values, strict=False)}
            rows.append(CsvRow(line, cells))
    except csv.Error as exc:
        problems.append(f"line {last + 1}: not readable as CSV ({exc})")
    return rows, problems


def _header_problems(header: list[str], columns: tuple[str, ...], required: tuple[str, ...]) -> list[str]:
    known = ", ".join(columns)
    problems = [
        f"line 1: {name or '(blank)'}: not a column of this file (columns: {known})"
        for name in header
        if name not in columns
    ]
    problems += [
        f"line 1: {name}: appears more than once"
        for name in dict.fromkeys(header)
        if header.count(name) > 1 and name in columns
    ]
    problems += [
        f"line 1: {name}: the column is missing (columns: {known})" for name in required if name not in header
    ]
    return problems


def person(cell: str, workspace: Workspace) -> Target | None:
    """One cell as whom it names: a mention, an ID, `group:<id>`, a `#channel` the workspace lists, or
    the name of someone in its `people` (what a spreadsheet usually has); None when nobody known."""
    found = reference(cell, workspace)
    if found is not None:
        return Target(*found)
    said = cell.removeprefix("@").strip().lower()
    named = next((p.id for p in workspace.people if p.name.lower() == said), None)
    return Target("user", named) if named and said else None


def looks_like_roster(content: bytes) -> bool:
    """Whether a file's header is exactly `user,labeler_id`, so the bot's file handler can tell a roster
    from queue data or a cohort import."""
    first = content[:4096].decode("utf-8-sig", errors="replace").splitlines()[:1]
    if not first:
        return False
    header = next(csv.reader(first), [])
    return tuple(h.strip().lower() for h in header) == ROSTER_COLUMNS


def parse_cohort_roster(content: bytes, workspace: Workspace) -> dict[str, str]:
    """User ID → labeler ID for each row; RosterCsvError lists every problem (all or nothing)."""
    rows, problems = read_rows(content, ROSTER_COLUMNS, ROSTER_COLUMNS)
    if problems:
        raise RosterCsvError(problems)
    found: dict[str, str] = {}
    users: dict[str, int] = {}
    ids: dict[str, int] = {}
    for row in rows:
        user = _user(row, workspace, problems)
        labeler_id = labeler_id_of(row, problems)
        if user is not None and user in users:
            problems.append(
                f"line {row.line}: user: {row.get('user')} is listed already on line {users[user]}"
            )
            user = None
        if labeler_id is not None and labeler_id in ids:
            problems.append(
                f"line {row.line}: labeler_id: {labeler_id} is listed already on line {ids[labeler_id]}"
            )
            labeler_id = None
        if user is not None:
            users[user] = row.line
        if labeler_id is not None:
            ids[labeler_id] = row.line
        if user is not None and labeler_id is not None:
            found[user] = labeler_id
    if not rows:
        problems.append(
            "line 2: user: the file has no rows: one labeler a row, under the header user,labeler_id"
        )
    if problems:
        raise RosterCsvError(problems)
    return found


def _user(row: CsvRow, workspace: Workspace, problems: list[str]) -> str | None:
    cell, at = row.get("user"), f"line {row.line}: user:"
    ids = f"a {workspace.platform.title()} user ID, a mention or a name in the workspace file"
    if not cell:
        problems.append(f"{at} empty: give the labeler ({ids})")
        return None
    target = person(cell, workspace)
    if target is None:
        problems.append(f"{at} I don't know whom {cell!r} means (give {ids})")
        return None
    if target.kind != "user":
        problems.append(f"{at} {cell} is a {target.kind}, not one person: a roster has one labeler a row")
        return None
    return target.id


def labeler_id_of(
    row: CsvRow, problems: list[str], column: str = "labeler_id", required: bool = True
) -> str | None:
    """The row's labeler ID, checked; None (with a problem when it was required) when it cannot be used."""
    value = row.get(column)
    if not value:
        if required:
            problems.append(
                f"line {row.line}: {column}: empty: give their ID as it appears in the queue data"
            )
        return None
    if len(value) > MAX_LABELER_ID:
        problems.append(f"line {row.line}: {column}: longer than {MAX_LABELER_ID} characters")
        return None
    return value
