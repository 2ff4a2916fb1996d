"""`tsqa contacts import FILE`: the escalation directory's people from a CSV that operations keeps.

Columns `scope,id,role,people`; `people` holds references separated by spaces or `;`, an empty cell
means nobody. The whole file is checked before anything is written, so a file with one mistake
changes nothing; a valid one replaces the listed (scope, id, role) rows in one transaction. Where a
row exists it replaces the workspace file's list for that role (the directory reads `imported`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from bot.workspace import Workspace
from bot.workspace_escalation import CONTACT_ROLES
from bot.workspace_ids import PersonRef, checking_ids
from storage.engine import Database
from storage.models.escalation import DirectoryContact

HEADER = ("scope", "id", "role", "people")
ROLES: dict[str, tuple[str, ...]] = {
    "platform": ("rd_oncall", "rd_escalation"),
    "vendor": tuple(CONTACT_ROLES),
}
SEPARATORS = re.compile(r"[\s;]+")
_PERSON: TypeAdapter[str] = TypeAdapter(PersonRef)

Key = tuple[str, str, str]  # scope, id, role


@dataclass(frozen=True)
class ContactRow:
    line: int
    scope: str
    scope_id: str
    role: str
    people: tuple[str, ...]

    @property
    def key(self) -> Key:
        return (self.scope, self.scope_id, self.role)


class ContactsError(Exception):
    """The file cannot be imported; `problems` are `line N: column: what is wrong`, in file order."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class ImportSummary:
    added: list[Key] = field(default_factory=list)
    changed: list[Key] = field(default_factory=list)
    unchanged: list[Key] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def rows(keys: list[Key]) -> list[dict[str, str]]:
            return [{"scope": s, "id": i, "role": r} for s, i, r in keys]

        return {"added": rows(self.added), "changed": rows(self.changed), "unchanged": rows(self.unchanged)}


def _known_ids(scope: str, ws: Workspace) -> list[str]:
    return [p.id for p in ws.platforms] if scope == "platform" else [v.id for v in ws.vendors]


def _people(cell: str, line: int, ws: Workspace, problems: list[str]) -> tuple[str, ...]:
    """The cell's references, checked as the workspace file's own are (its platform, its groups)."""
    found: dict[str, None] = {}
    groups = frozenset(g.id for g in ws.groups)
    for token in SEPARATORS.split(cell.strip()):
        if not token:
            continue
        try:
            with checking_ids(ws.platform, groups):
                found[_PERSON.validate_python(token)] = None
        except ValidationError as exc:
            reason = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            problems.append(f"line {line}: people: {reason}")
    return tuple(found)


def _row(cells: dict[str, str], line: int, ws: Workspace, problems: list[str]) -> ContactRow | None:
    before = len(problems)
    scope, scope_id, role = (cells[c].strip() for c in ("scope", "id", "role"))
    if scope not in ROLES:
        problems.append(f"line {line}: scope: {scope!r} is not platform or vendor")
    else:
        known = _known_ids(scope, ws)
        if scope_id not in known:
            listed = ", ".join(known) or "none in the workspace file"
            problems.append(f"line {line}: id: {scope_id!r} is not a {scope} of the workspace ({listed})")
        if role not in ROLES[scope]:
            problems.append(f"line {line}: role: {role!r} is not a {scope} role ({', '.join(ROLES[scope])})")
    people = _people(cells["people"], line, ws, problems)
    return None if len(problems) > before else ContactRow(line, scope, scope_id, role, people)


def parse_contacts(data: bytes | str, ws: Workspace) -> list[ContactRow]:
    """Every row of the file, or ContactsError with every problem found (nothing half-read)."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise ContactsError([f"line 1: file: not UTF-8 text ({exc.reason}); save it as CSV UTF-8"]) from None
    reader = csv.reader(io.StringIO(text))
    header = next((row for row in reader if any(c.strip() for c in row)), None)
    if header is None:
        raise ContactsError([f"line 1: file: the file is empty; its first line must be {','.join(HEADER)}"])
    names = [c.strip().lower() for c in header]
    missing = [c for c in HEADER if c not in names]
    extra = [c for c in names if c not in HEADER]
    if missing or extra or len(set(names)) != len(names):
        what = f"missing {', '.join(missing)}" if missing else f"unexpected {', '.join(extra) or 'repeats'}"
        raise ContactsError(
            [f"line {reader.line_num}: header: {what}; the first line must be {','.join(HEADER)}"]
        )
    problems: list[str] = []
    rows: list[ContactRow] = []
    first_line: dict[Key, int] = {}
    line = reader.line_num
    for cells in reader:
        line, start = reader.line_num, line + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            problems.append(f"line {start}: row: {len(cells)} cells where the header has {len(names)}")
            continue
        row = _row(dict(zip(names, cells, strict=True)), start, ws, problems)
        if row is None:
            continue
        if row.key in first_line:
            problems.append(
                f"line {start}: role: {row.role} of {row.scope} {row.scope_id} is already on line "
                f"{first_line[row.key]}"
            )
            continue
        first_line[row.key] = start
        rows.append(row)
    if not rows and not problems:
        problems.append(f"line {line}: file: no rows under the header")
    if problems:
        raise ContactsError(problems)
    return rows


def _upsert(db: Database) -> Any:
    return postgresql.insert if db.is_postgres else sqlite.insert


async def import_contacts(db: Database, rows: list[ContactRow], *, by: str, now: datetime) -> ImportSummary:
    """Replace the listed roles' people in one transaction; rows the file does not name stay as they are."""
    summary = ImportSummary()
    async with db.transaction() as session:
        stored = {
            (c.scope, c.scope_id, c.role): json.loads(c.people)
            for c in (await session.scalars(select(DirectoryContact))).all()
        }
        for row in rows:
            people = list(row.people)
            if row.key not in stored:
                summary.added.append(row.key)
            elif stored[row.key] != people:
                summary.changed.append(row.key)
            else:
                summary.unchanged.append(row.key)
                continue  # unchanged: keep who last changed it, and when
            values = {"people": json.dumps(people), "updated_at": now, "updated_by": by}
            statement = _upsert(db)(DirectoryContact).values(
                scope=row.scope, scope_id=row.scope_id, role=row.role, **values
            )
            # A concurrent import of the same role must not fail on the key: the later one wins.
            await session.execute(
                statement.on_conflict_do_update(index_elements=["scope", "scope_id", "role"], set_=values)
            )
    return summary


async def imported(db: Database) -> dict[Key, list[str]]:
    """Every imported role's people: for that role they replace the workspace file's list."""
    async with db.transaction() as session:
        contacts = (await session.scalars(select(DirectoryContact))).all()
    return {(c.scope, c.scope_id, c.role): json.loads(c.people) for c in contacts}


async def import_file(
    db: Database, data: bytes | str, ws: Workspace, *, by: str, now: datetime
) -> ImportSummary:
    """Check the whole file, then write it: ContactsError (and nothing written) on any problem."""
    return await import_contacts(db, parse_contacts(data, ws), by=by, now=now)
