"""`tsqa training cohort import`: cohorts from a CSV, one row per labeler (columns COHORT_COLUMNS), each
cohort checked as the `/training new` form is (handlers/training/intake.py) and every problem named by
its line and column. All or nothing: one problem anywhere and no cohort is returned.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from bot.workspace import Workspace
from handlers.quiz.assign import Target
from handlers.training.intake import TOKEN, WHOM, NewCohort, check_cohort
from handlers.training.roster import CsvRow, labeler_id_of, person, read_rows

COHORT_COLUMNS = (
    "cohort",
    "vendor",
    "site",
    "queues",
    "plan",
    "start",
    "target",
    "trainers",
    "labeler",
    "labeler_id",
)
REQUIRED_COLUMNS = COHORT_COLUMNS[:-1]
SHARED_COLUMNS = ("vendor", "site", "queues", "plan", "start", "target", "trainers")  # repeat on each row
COLUMN_OF = {"name": "cohort", "labelers": "labeler"}  # check_cohort's keys named as the file's columns


class CohortCsvError(Exception):
    """The import cannot be used; `problems` are `line N: column: what is wrong`. Nothing was created."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _same(column: str, value: str) -> object:
    """What a cell means, so `hate-en, spam-pt` agrees with `spam-pt hate-en`."""
    if column in ("queues", "trainers"):
        words = TOKEN.findall(value)
        return sorted(w.lower() for w in words) if column == "queues" else sorted(words)
    return value.lower()


def _shared(rows: list[CsvRow], problems: list[tuple[int, str]]) -> tuple[dict[str, str], dict[str, int]]:
    """The cohort-level values of a group (a later blank cell means the same) and the line each came
    from; a later row that says otherwise is a problem naming both lines."""
    values = {"name": rows[0].get("cohort")}
    lines = {"name": rows[0].line}
    for column in SHARED_COLUMNS:
        first = next((r for r in rows if r.get(column)), rows[0])
        values[column], lines[column] = first.get(column), first.line
        for row in rows:
            said = row.get(column)
            if said and _same(column, said) != _same(column, values[column]):
                problems.append(
                    (
                        row.line,
                        f"line {row.line}: {column}: “{said}” disagrees with “{values[column]}” on line "
                        f"{first.line}: every row of cohort {values['name']} gives the same {column}",
                    )
                )
    return values, lines


def _labelers(
    rows: list[CsvRow], ws: Workspace, problems: list[tuple[int, str]]
) -> tuple[tuple[Target, ...], dict[str, str]]:
    """Each row's labeler and labeler ID, checked where they are; repeats within the cohort named."""
    found: dict[Target, int] = {}
    ids: dict[str, str] = {}
    id_lines: dict[str, int] = {}
    for row in rows:
        at, cell, said = f"line {row.line}:", row.get("labeler"), []
        labeler_id = labeler_id_of(row, said, required=False)
        target = person(cell, ws) if cell else None
        if not cell:
            said.append(f"{at} labeler: empty: give the labeler ({WHOM})")
        elif target is None:
            said.append(f"{at} labeler: I don't know whom “{cell}” means: {WHOM}")
        elif target in found:
            said.append(f"{at} labeler: {cell} is listed already on line {found[target]}")
            target = None
        elif labeler_id is not None and target.kind != "user":
            said.append(f"{at} labeler_id: {cell} is a {target.kind}: a labeler ID belongs to one person")
        if labeler_id is not None and labeler_id in id_lines:
            said.append(f"{at} labeler_id: {labeler_id} is listed already on line {id_lines[labeler_id]}")
        problems.extend((row.line, p) for p in said)
        if target is not None and target not in found:
            found[target] = row.line
        if not said and target is not None and labeler_id is not None:
            ids[target.id], id_lines[labeler_id] = labeler_id, row.line
    return tuple(found), ids


def _groups(rows: list[CsvRow], problems: list[tuple[int, str]]) -> dict[str, list[CsvRow]]:
    """Rows by cohort name, cohorts in the order they first appear."""
    groups: dict[str, list[CsvRow]] = {}
    for row in rows:
        name = row.get("cohort").lower()
        if not name:
            problems.append((row.line, f"line {row.line}: cohort: empty: name the cohort on every row"))
            continue
        groups.setdefault(name, []).append(row)
    return groups


def parse_cohort_csv(
    content: bytes, workspace: Workspace, folder: str | Path, today: date, now: datetime | None = None
) -> list[NewCohort]:
    """Each cohort the file describes (one row per labeler), checked as the form is; CohortCsvError
    lists every problem with its line and column, and then no cohort is returned at all."""
    rows, file_problems = read_rows(content, COHORT_COLUMNS, REQUIRED_COLUMNS)
    if file_problems:
        raise CohortCsvError(file_problems)
    if not rows:
        raise CohortCsvError(["line 2: cohort: the file has no rows: one labeler a row, under the header"])
    problems: list[tuple[int, str]] = []
    cohorts: list[NewCohort] = []
    for group in _groups(rows, problems).values():
        values, lines = _shared(group, problems)
        labelers, ids = _labelers(group, workspace, problems)
        checked = check_cohort(values, workspace, folder, today, labelers=labelers, labeler_ids=ids, now=now)
        if isinstance(checked, NewCohort):
            cohorts.append(checked)
            continue
        for key, message in checked.items():  # the labelers are said on their own rows already
            line = lines.get(key, group[0].line)
            problems.append((line, f"line {line}: {COLUMN_OF.get(key, key)}: {message}"))
    if problems:
        raise CohortCsvError([text for _, text in sorted(problems, key=lambda p: p[0])])
    return cohorts
