"""`tsqa contacts import FILE` (the escalation directory's people from a CSV) and `tsqa escalations report`
(MTTA/MTTR for a terminal or a script, with the CSV and the chart where chat cannot take files).

Exit 1: the input is wrong (every problem listed); exit 2: the command itself is wrong (usage).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.cli_workspace import workspace_or_exit
from bot.config import Settings
from bot.workspace import Workspace
from handlers.escalate.contacts import ContactsError, ImportSummary, import_contacts, parse_contacts
from handlers.escalate.durations import minutes
from handlers.escalate.report import (
    Group,
    Report,
    escalations_since,
    report_chart,
    report_csv,
    summarise,
)
from storage.migrate import run_on_database

contacts_app = typer.Typer(no_args_is_help=True, help="The escalation directory: import contacts.")
escalations_app = typer.Typer(no_args_is_help=True, help="Escalations: the MTTA/MTTR report.")
err = Console(stderr=True, soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")]
DEFAULT_DAYS = 30
IMPORTED_BY = "tsqa contacts import"


@contacts_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV with columns scope,id,role,people")],
    as_json: JsonFlag = False,
) -> None:
    """Replace the people of each (scope, id, role) the file lists; a file with any problem changes
    nothing and every problem is listed with its line."""
    settings = Settings()
    workspace = workspace_or_exit(settings)
    if not file.is_file():
        err.print(f"[red]{escape(str(file))} is not a file.[/red]", highlight=False)
        raise typer.Exit(2)
    try:
        rows = parse_contacts(file.read_bytes(), workspace)
    except ContactsError as exc:
        if as_json:
            print(json.dumps({"ok": False, "file": str(file), "problems": exc.problems}))
        else:
            err.print(
                f"[red]{escape(str(file))}: {len(exc.problems)} problem(s), nothing imported[/red]",
                highlight=False,
            )
            for problem in exc.problems:
                err.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    now = datetime.now(UTC)
    summary: ImportSummary = run_on_database(
        settings.database_url, lambda db: import_contacts(db, rows, by=IMPORTED_BY, now=now)
    )
    if as_json:
        print(json.dumps({"ok": True, "file": str(file), **summary.as_dict()}))
        return
    counts = (len(summary.added), len(summary.changed), len(summary.unchanged))
    print(f"{file}: {counts[0]} added, {counts[1]} changed, {counts[2]} unchanged")


def _since(value: str | None, workspace: Workspace) -> date:
    if value is None:
        return datetime.now(workspace.tz).date() - timedelta(days=DEFAULT_DAYS)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-01", param_hint="--since") from None


@escalations_app.command("report")
def report_command(
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Escalations opened from YYYY-MM-DD, workspace time (default: 30 days ago)"
        ),
    ] = None,
    as_json: JsonFlag = False,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Also write every escalation to this CSV file")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Also draw MTTA/MTTR per platform into this PNG file")
    ] = None,
) -> None:
    """How fast escalations were acknowledged and resolved: median and p90 per platform, vendor, severity."""
    settings = Settings()
    workspace = workspace_or_exit(settings)
    day = _since(since, workspace)
    start = datetime.combine(day, time(0), tzinfo=workspace.tz).astimezone(UTC)
    rows = run_on_database(settings.database_url, lambda db: escalations_since(db, start))
    report = summarise(rows, datetime.now(UTC))
    if csv is not None:
        csv.write_bytes(report_csv(rows))
    if chart is not None:
        chart.write_bytes(report_chart(report))
    if as_json:
        print(json.dumps({"since": day.isoformat(), **report.as_dict()}, ensure_ascii=False))
        return
    _print(report, day)
    for what, where in (("Escalations", csv), ("Chart", chart)):
        if where is not None:
            print(f"{what} written to {where}.")


def _print(report: Report, day: date) -> None:
    o = report.overall
    print(
        f"Escalations since {day.isoformat()}: {o.opened} opened, {o.acknowledged} acknowledged, "
        f"{o.resolved} resolved, {o.still_open} still open"
    )
    if not o.opened:
        return
    _line("all", o)
    for title, groups in (
        ("platform", report.platforms),
        ("vendor", report.vendors),
        ("severity", report.severities),
    ):
        print(f"by {title}:")
        for group in groups:
            _line(f"  {group.key}", group)
    if report.oldest_open_minutes is not None:
        print(f"oldest still open: {minutes(report.oldest_open_minutes)}")


def _line(label: str, g: Group) -> None:
    print(
        f"{label}: {g.opened} opened, {g.still_open} open; time to acknowledge median "
        f"{minutes(g.mtta.median)}, p90 {minutes(g.mtta.p90)}; time to resolve median "
        f"{minutes(g.mttr.median)}, p90 {minutes(g.mttr.p90)}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(contacts_app, name="contacts")
    app.add_typer(escalations_app, name="escalations")
