"""`tsqa ingest …`: queue data in from a terminal or a cron job (decisions, backlog, example data)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import track

from bot.cli_workspace import workspace_or_exit
from bot.config import Settings
from bot.workspace import Workspace
from handlers.queue_data.examples import load_example_data
from handlers.queue_data.ingest import IngestReport, ingest_backlog, ingest_decisions, refusal
from handlers.queue_data.validate import FileRejected
from storage.engine import Database
from storage.migrate import run_on_database

ingest_app = typer.Typer(no_args_is_help=True, help="Load queue data: decisions and backlog snapshots.")
err = Console(stderr=True, soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")]


def settings_and_workspace() -> tuple[Settings, Workspace]:
    """The settings and the workspace file, or exit 2 with the file's problems (every `tsqa` reader)."""
    settings = Settings()
    return settings, workspace_or_exit(settings)


def with_db(settings: Settings, work: Callable[[Database], Awaitable[Any]]) -> Any:
    """Run `work` on the configured database, migrated first, from synchronous CLI code."""
    return run_on_database(settings.database_url, work)


def _run_ingest(kind: str, files: list[Path], skip_invalid: bool, as_json: bool) -> None:
    settings, workspace = settings_and_workspace()
    results: list[dict[str, Any]] = []

    async def work(db: Database) -> None:
        for path in track(
            files, description=f"Ingesting {kind}", console=err, disable=as_json or len(files) < 2
        ):
            side = path.with_name(path.stem + ".rejected.csv") if skip_invalid else None
            try:
                ingest = ingest_decisions if kind == "decisions" else ingest_backlog
                report: IngestReport = await ingest(
                    db,
                    workspace,
                    path,
                    path.name,
                    now=datetime.now(UTC),
                    skip_invalid=skip_invalid,
                    side_file=side,
                )
            except FileRejected as exc:
                results.append(
                    {
                        "file": str(path),
                        "ok": False,
                        "error": str(exc),
                        "invalid": exc.invalid,
                        "problems": [{"line": p.line, "reason": p.reason} for p in exc.problems[:20]],
                    }
                )
                if not as_json:
                    err.print(refusal(path.name, exc), markup=False, highlight=False)
                continue
            except OSError as exc:
                results.append({"file": str(path), "ok": False, "error": str(exc)})
                if not as_json:
                    err.print(f"{path}: cannot read ({exc.strerror})", markup=False)
                continue
            results.append(
                {
                    "file": str(path),
                    "ok": True,
                    "total": report.total,
                    "stored": report.stored,
                    "already": report.already,
                    "invalid": report.invalid,
                    "expired": report.expired,
                    "rejected_file": str(report.side_file) if report.side_file else None,
                    "days": [d.isoformat() for d in report.days],
                }
            )
            if not as_json:
                print(report.summary())

    with_db(settings, work)
    if as_json:
        print(json.dumps({"files": results}))
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)


@ingest_app.command("decisions")
def ingest_decisions_command(
    files: Annotated[list[Path], typer.Argument(help="CSV or Parquet files of decisions.")],
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Store the valid rows; write the rest to FILE.rejected.csv."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Load decisions: every row is checked first; a file with invalid rows stores nothing."""
    _run_ingest("decisions", files, skip_invalid, as_json)


@ingest_app.command("backlog")
def ingest_backlog_command(
    files: Annotated[list[Path], typer.Argument(help="CSV files of backlog snapshots.")],
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Load backlog snapshots (queue, at, backlog, oldest_age_seconds)."""
    _run_ingest("backlog", files, skip_invalid, as_json)


@ingest_app.command("example")
def ingest_example(days: Annotated[int, typer.Option(help="Days of history ending yesterday.")] = 28) -> None:
    """Generate and load synthetic example data for the workspace's queues (safe to run twice)."""
    settings, workspace = settings_and_workspace()
    today = datetime.now(workspace.tz).date()
    reports = with_db(settings, lambda db: load_example_data(db, workspace, today, days=days, force=True))
    for report in reports:
        print(report.summary())


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")
