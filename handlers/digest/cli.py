"""`tsqa ingest …` and `tsqa digest …`: queue data in, figures out, from a terminal or a cron job."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import track

from bot.cli_workspace import workspace_or_exit
from bot.config import Settings
from bot.workspace import Workspace
from handlers.digest.examples import load_example_data
from handlers.digest.ingest import IngestReport, ingest_backlog, ingest_decisions, refusal
from handlers.digest.service import digest_for_day, digest_from_file
from handlers.digest.validate import FileRejected
from storage.engine import Database
from storage.migrate import run_on_database

ingest_app = typer.Typer(no_args_is_help=True, help="Load queue data: decisions and backlog snapshots.")
err = Console(stderr=True, soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")]


def _workspace() -> tuple[Settings, Workspace]:
    settings = Settings()
    return settings, workspace_or_exit(settings)


def _with_db(settings: Settings, work: Callable[[Database], Awaitable[Any]]) -> Any:
    return run_on_database(settings.database_url, work)


def _run_ingest(kind: str, files: list[Path], skip_invalid: bool, as_json: bool) -> None:
    settings, workspace = _workspace()
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

    _with_db(settings, work)
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
    settings, workspace = _workspace()
    today = datetime.now(workspace.tz).date()
    reports = _with_db(settings, lambda db: load_example_data(db, workspace, today, days=days, force=True))
    for report in reports:
        print(report.summary())


def digest_command(
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD; default yesterday.")] = None,
    queue: Annotated[list[str] | None, typer.Option("--queue", help="Only this queue (repeatable).")] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="Day boundaries in this timezone.")
    ] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="Compute from a file; store nothing.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a day's digest: per queue, vendor, site and overall."""
    settings, workspace = _workspace()
    tz = timezone or workspace.timezone
    try:
        when = date.fromisoformat(day) if day else datetime.now(workspace.tz).date() - timedelta(days=1)
        if from_file is not None:
            digest = digest_from_file(workspace, from_file, when, tz=tz, queues=queue)
        else:
            digest = _with_db(settings, lambda db: digest_for_day(db, workspace, when, tz=tz, queues=queue))
    except (ValueError, FileRejected) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(digest))
        return
    from handlers.digest.views import pct, seconds, summary_line

    print(f"Digest for {digest['date']} ({digest['timezone']}): {summary_line(digest)}")
    for level in ("queues", "vendors", "sites"):
        print(f"\n{level}:")
        for e in digest[level]:
            flags = f"  [{', '.join(e['flags'])}]" if e["flags"] else ""
            print(
                f"  {e['id']:<14} output {e['output']:>7,}  vs target {pct(e['output_vs_target'], 0):>6}  "
                f"SLA {pct(e['sla_adherence']):>6}  AHT {seconds(e['aht_seconds']):>7}  "
                f"quality {pct(e['quality_score']):>6}{flags}"
            )


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")
    app.command("digest")(digest_command)
