"""`tsqa training …`: cohorts from a CSV, a cohort's calendar file, its report, its roster, the plans.

The command line has no chat connection: people come from the file and the workspace file's groups
only (a channel or a platform usergroup is a problem), and the timers an import schedules (welcome DMs,
reminders, the weekly summary) are sent by the bot when it runs.

Exit 1: the input is wrong (every problem listed, nothing stored); exit 2: the workspace file is broken.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape

from bot.cli_workspace import workspace_or_exit
from bot.config import Settings
from bot.workspace import Workspace
from bot.workspace_training import Site
from handlers.quiz.assign import Target
from handlers.training import lifecycle, members, store, summary
from handlers.training.cohort import Cohort
from handlers.training.ics import to_ics
from handlers.training.intake import NewCohort, day_name, targets
from handlers.training.intake_csv import COHORT_COLUMNS, REQUIRED_COLUMNS, CohortCsvError, parse_cohort_csv
from handlers.training.plan import KIND_NAMES, Plan, PlanError
from handlers.training.plans import available_plans
from handlers.training.roster import CsvRow, RosterCsvError, parse_cohort_roster, person, read_rows
from storage.engine import Database
from storage.migrate import run_on_database

training_app = typer.Typer(
    no_args_is_help=True, help="Training cohorts: import, calendar, report, roster, plans."
)
cohort_app = typer.Typer(no_args_is_help=True, help="Training cohorts: import them from a CSV.")
roster_app = typer.Typer(no_args_is_help=True, help="A cohort's labeler IDs as in the queue data.")
training_app.add_typer(cohort_app, name="cohort")
training_app.add_typer(roster_app, name="roster")
err = Console(stderr=True, soft_wrap=True)
CREATED_BY = "tsqa training cohort import"
OFFLINE = (
    "the command line cannot read chat: name the people, or a group of the workspace file, "
    "or create the cohort with /training new"
)
T = TypeVar("T")


def _now() -> datetime:
    """The moment the command runs (tests pin it)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Env:
    settings: Settings
    workspace: Workspace

    def run(self, work: Callable[[Database], Awaitable[T]]) -> T:
        """`work` on the migrated database."""
        return run_on_database(self.settings.database_url, work)

    @property
    def plans(self) -> Path:
        return self.workspace.training.folder(self.settings.tsqa_workspace)


def _env() -> _Env:
    settings = Settings()
    return _Env(settings, workspace_or_exit(settings))


def _fail(headline: str, problems: list[str]) -> typer.Exit:
    """Every problem on stderr under a headline; the caller raises the returned exit 1."""
    err.print(f"[red]{escape(headline)}[/red]", highlight=False)
    for problem in problems:
        err.print(f"  - {problem}", markup=False, highlight=False)
    return typer.Exit(1)


def _read(file: Path) -> bytes:
    if not file.is_file():
        err.print(f"[red]{escape(str(file))} is not a file.[/red]", highlight=False)
        raise typer.Exit(2)
    return file.read_bytes()


# ----- cohort import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    """One cohort of the file ready to store: its key, its draft and what to say about it."""

    key: str
    new: NewCohort
    draft: store.CohortDraft


def _first_lines(content: bytes) -> tuple[dict[str, int], list[CsvRow]]:
    """Each cohort's first line and the rows (the file has parsed already, so it reads cleanly)."""
    rows, _ = read_rows(content, COHORT_COLUMNS, REQUIRED_COLUMNS)
    lines: dict[str, int] = {}
    for row in rows:
        lines.setdefault(row.get("cohort").lower(), row.line)
    return lines, rows


def _line_of(rows: list[CsvRow], name: str, column: str, target: Target, ws: Workspace) -> int:
    """The line where a cohort's cell names `target` (the trainers cell may name several)."""
    for row in rows:
        if row.get("cohort").lower() != name or not row.get(column):
            continue
        if column == "labeler" and person(row.get(column), ws) == target:
            return row.line
        if column == "trainers" and target in targets(row.get(column), ws)[0]:
            return row.line
    return next(r.line for r in rows if r.get("cohort").lower() == name)


def _people_offline(
    new: NewCohort, rows: list[CsvRow], first: int, ws: Workspace, problems: list[tuple[int, str]]
) -> tuple[set[str], set[str]]:
    """Trainers and labelers from people and workspace groups; what only chat could read is a problem."""
    found: dict[str, set[str]] = {"trainers": set(), "labeler": set()}
    for column, named in (("trainers", new.trainers), ("labeler", new.labelers)):
        for target in named:
            people, unread = members.offline([target], ws)
            found[column] |= people
            if unread:
                line = _line_of(rows, new.name, column, target, ws)
                what = "a channel" if target.kind == "channel" else "a platform usergroup"
                if target.kind == "group":
                    what = f"{target.id}, which holds {', '.join(unread)}"
                problems.append((line, f"line {line}: {column}: {what}: {OFFLINE}"))
    trainers, labelers = found["trainers"], found["labeler"]
    if not trainers:
        problems.append((first, f"line {first}: trainers: the trainers named bring nobody"))
    elif not labelers - trainers:
        problems.append(
            (first, f"line {first}: labeler: the labelers named bring nobody who is not also a trainer")
        )
    return trainers, labelers


async def _plan_import(
    db: Database, content: bytes, cohorts: list[NewCohort], ws: Workspace
) -> tuple[list[_Planned], list[str]]:
    """Each cohort's members and key, with every problem of the file by line (none: ready to store)."""
    digest = hashlib.sha256(content).hexdigest()
    lines, rows = _first_lines(content)
    problems: list[tuple[int, str]] = []
    planned: list[_Planned] = []
    for new in cohorts:
        trainers, labelers = _people_offline(new, rows, lines[new.name], ws, problems)
        people = await members.members(db, new, trainers, labelers)
        draft = members.draft(new, people, None, CREATED_BY)
        planned.append(_Planned(f"training-import:{digest}:{new.name}", new, draft))
    for name, held in (await store.held_names(db, {p.new.name.lower(): p.key for p in planned})).items():
        line = lines.get(name, 2)
        problems.append(
            (line, f"line {line}: cohort: there is a cohort named {held} already: choose another name")
        )
    return planned, [text for _, text in sorted(problems, key=lambda p: p[0])]


def _cohort_line(p: _Planned, outcome: str) -> list[str]:
    layout, new = p.new.layout, p.new
    labelers = sum(1 for m in p.draft.members if m.role == "labeler")
    spare = f"fits, target {day_name(new.target)}" if layout.fits else f"{layout.days_over} days late"
    lines = [
        f"{new.name}: {outcome}: {labelers} labeler{'s' if labelers != 1 else ''}, "
        f"{len(layout.sessions)} sessions, go-live {day_name(layout.go_live)} ({spare})"
    ]
    return lines + [f"  note: {note}" for note in new.notes]


@cohort_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(help="CSV, one labeler a row: " + ",".join(COHORT_COLUMNS) + " (labeler_id optional)"),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and say what it would make; store nothing.")
    ] = False,
) -> None:
    """Create the cohorts a CSV describes, each with its sessions and timers; a file with any problem
    stores nothing. Importing the same file again makes nothing new."""
    env = _env()
    content = _read(file)
    now = _now()
    today = now.astimezone(env.workspace.tz).date()
    try:
        cohorts = parse_cohort_csv(content, env.workspace, env.plans, today, now)
    except CohortCsvError as exc:
        raise _fail(f"{file}: {len(exc.problems)} problem(s), nothing imported", exc.problems) from None

    async def work(db: Database) -> tuple[list[_Planned], list[str], list[lifecycle.Created]]:
        planned, problems = await _plan_import(db, content, cohorts, env.workspace)
        if problems or dry_run:
            return planned, problems, []
        try:
            made = await lifecycle.create_all(db, env.workspace, now, [(p.key, p.draft) for p in planned])
        except store.NameTaken as exc:  # taken between the check and the insert: nothing was stored
            line = _first_lines(content)[0].get(str(exc), 2)
            return planned, [f"line {line}: cohort: there is a cohort named {exc} already"], []
        return planned, [], made

    planned, problems, made = env.run(work)
    if problems:
        raise _fail(f"{file}: {len(problems)} problem(s), nothing imported", problems)
    if dry_run:
        for p in planned:
            print("\n".join(_cohort_line(p, "would be created")))
        print(f"{file}: checked, nothing stored (--dry-run).")
        return
    for p, created in zip(planned, made, strict=True):
        outcome = "already imported" if created.cohort_id is None else f"created (#{created.cohort_id})"
        print("\n".join(_cohort_line(p, outcome)))
    new = sum(1 for c in made if c.cohort_id is not None)
    print(f"{file}: {new} cohort(s) created, {len(made) - new} already imported.")
    if new:
        print(
            "Welcome DMs, reminders and the weekly summaries are scheduled: the bot sends them when it "
            "runs (tsqa run)."
        )


# ----- reading one cohort --------------------------------------------------------------------------


def _cohort_or_exit(env: _Env, db_cohort: Cohort | None, name: str) -> tuple[Cohort, Site]:
    if db_cohort is None:
        raise _fail(f"No training cohort {name!r}.", ["`tsqa training cohort import FILE` creates cohorts"])
    site = lifecycle.site_of(env.workspace, db_cohort)
    if site is None:
        raise _fail(
            f"Cohort {db_cohort.name}: its site {db_cohort.site!r} is not in the workspace file any more.",
            ["add the site back to the sites: section to read the cohort's calendar"],
        )
    return db_cohort, site


def _find(env: _Env, name: str) -> tuple[Cohort, Site]:
    found = env.run(lambda db: store.find(db, name, lifecycle.zones(env.workspace)))
    return _cohort_or_exit(env, found, name)


@training_app.command("calendar")
def calendar_command(
    cohort: Annotated[str, typer.Argument(help="The cohort's name (or number)")],
) -> None:
    """The cohort's sessions as an iCalendar file on stdout: `tsqa training calendar NAME > NAME.ics`."""
    env = _env()
    found, site = _find(env, cohort)
    content = to_ics(found.layout(site), found.calendar_id, cohort_name=found.name, stamp=_now())
    click.echo(content, nl=False)


def _print_report(figures: dict[str, Any]) -> None:
    f = figures
    late = f"{f['days_late']} working day(s) late" if f["days_late"] else "on time"
    print(f"Cohort {f['cohort']} ({f['vendor']} at {f['site']}, plan {f['plan']}, {f['status']})")
    print(f"  as of {f['as_of']}: {f['ready']} of {f['labelers']} labelers ready")
    print(f"  start {f['start']}, target {f['target']}, projected go-live {f['projected_go_live']} ({late})")
    if f["at_risk"]:
        print("At risk:")
        for entry in f["at_risk"]:
            reasons = "; ".join(r["detail"] for r in entry["reasons"]) or "not ready yet"
            print(f"  {entry['user']}: {reasons}")
    print("Labelers:")
    for row in f["labelers_detail"]:
        state = f"ready {row['ready_on']}" if row["ready"] else f"{row['done']} of {row['required']} done"
        nesting = row["nesting"]
        quality = (
            f", nesting {nesting['agreed']}/{nesting['audited']} audited ({nesting['verdict']})"
            if nesting
            else ""
        )
        print(f"  {row['user']} ({row['labeler_id'] or 'no labeler ID'}): {state}{quality}")
    print("Sessions (present / absent / excused / unmarked):")
    for s in f["sessions"]:
        counts = f"{s['present']} / {s['absent']} / {s['excused']} / {s['unmarked']}"
        print(f"  {s['start'][:16].replace('T', ' ')}  {s['title']} ({KIND_NAMES[s['kind']]}): {counts}")


@training_app.command("report")
def report_command(
    cohort: Annotated[str, typer.Argument(help="The cohort's name (or number)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")] = False,
) -> None:
    """The cohort's figures as `/training status` and the weekly summary show them: readiness, who is
    at risk and why, attendance, nesting quality and the burn-up of ready labelers."""
    env = _env()
    now = _now()

    async def work(db: Database) -> tuple[Cohort | None, dict[str, Any] | None]:
        found = await store.find(db, cohort, lifecycle.zones(env.workspace))
        site = lifecycle.site_of(env.workspace, found) if found else None
        if found is None or site is None:
            return found, None
        return found, (await summary.gather(db, env.workspace, found, site, now)).figures

    found, figures = env.run(work)
    _cohort_or_exit(env, found, cohort)
    assert figures is not None
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    _print_report(figures)


@roster_app.command("import")
def roster_import_command(
    cohort: Annotated[str, typer.Argument(help="The cohort's name (or number)")],
    file: Annotated[Path, typer.Argument(help="CSV: user,labeler_id (one labeler a row)")],
) -> None:
    """Set the cohort's labeler IDs (as they appear in the queue data) so nesting quality can be joined;
    a file with any problem changes nothing."""
    env = _env()
    content = _read(file)
    try:
        ids = parse_cohort_roster(content, env.workspace)
    except RosterCsvError as exc:
        raise _fail(f"{file}: {len(exc.problems)} problem(s), nothing changed", exc.problems) from None
    found, _ = _find(env, cohort)
    unknown = env.run(lambda db: store.set_labeler_ids(db, found.id, ids))
    if unknown:
        raise _fail(
            f"{file}: not a labeler of cohort {found.name}, nothing changed",
            [f"user: {user} is not a labeler of {found.name}" for user in unknown],
        )
    print(f"{file}: labeler IDs set for {len(ids)} labeler(s) of cohort {found.name}.")


# ----- plans ---------------------------------------------------------------------------------------


def _plan_line(plan_id: str, plan: Plan) -> str:
    hours = sum(m.minutes for m in plan.modules) / 60
    nesting = sum(m.nesting_days for m in plan.modules)
    checks = [m.quiz for m in plan.modules if m.kind == "knowledge_check" and m.quiz]
    quizzes = f", checked by {', '.join(checks)}" if checks else ""
    return (
        f"{plan_id}: {plan.name}: {len(plan.modules)} modules, {hours:g} hours of sessions, "
        f"{nesting} nesting day(s){quizzes}"
    )


@training_app.command("plans")
def plans_command() -> None:
    """The plan templates in the training plans folder; a broken file is listed with its problems and
    makes the exit code 1 (so a check in CI catches it)."""
    env = _env()
    plans = available_plans(env.plans)
    if not plans:
        print(f"No plan files in {env.plans}: add YAML plans there (see examples/training/new-labeler.yml).")
        return
    broken = 0
    for plan_id, plan in plans.items():
        if isinstance(plan, PlanError):
            broken += 1
            err.print(f"{plan_id}: cannot be used:", markup=False, highlight=False)
            for problem in plan.problems:
                err.print(f"  - {problem}", markup=False, highlight=False)
        else:
            print(_plan_line(plan_id, plan))
    if broken:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(training_app, name="training")
