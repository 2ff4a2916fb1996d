"""`tsqa appeals report`: the appeals report for a terminal or a script (`--json`: every figure).
Exit 2: the command is wrong (a date, an unknown vendor), with what is wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated

import typer

from bot.cli_workspace import day_option, fail, workspace_or_exit
from bot.config import Settings
from bot.workspace import Workspace
from handlers.appeals.report import AppealGroup, AppealReport, appeal_report, as_json
from handlers.appeals.report_views import auditor_name, figures, queue_name, rates_note, vendor_name
from storage.migrate import run_on_database

DEFAULT_DAYS = 28

appeals_app = typer.Typer(no_args_is_help=True, help="Appeals of QA verdicts.")
Option = typer.Option


def period(workspace: Workspace, since: str | None, until: str | None) -> tuple[date, date]:
    """--since/--until as local days (inclusive); by default the 28 days ending today."""
    until_day = day_option(until, "--until") or datetime.now(workspace.tz).date()
    since_day = day_option(since, "--since") or until_day - timedelta(days=DEFAULT_DAYS - 1)
    if since_day > until_day:
        raise fail(f"--since {since_day} is after --until {until_day}")
    return since_day, until_day


def _vendors(workspace: Workspace, given: list[str] | None) -> frozenset[str] | None:
    if not given:
        return None
    known = {v.id for v in workspace.vendors}
    if unknown := [v for v in given if v not in known]:
        raise fail(
            f"vendor {', '.join(map(repr, unknown))} is not in the workspace file "
            f"(known: {', '.join(sorted(known)) or 'none'})"
        )
    return frozenset(given)


def _print_groups(title: str, groups: tuple[AppealGroup, ...], name: Callable[[str], str]) -> None:
    if not groups:
        return
    print(f"\n{title}")
    for group in groups:
        print(f"  {name(group.key)}: {figures(group)}")
        if group.flagged:
            print(f"    calibration candidate: {group.reason}")


def _print(report: AppealReport, workspace: Workspace) -> None:
    scope = f" for {', '.join(report.vendors)}" if report.vendors is not None else ""
    print(f"Appeals{scope}, decisions completed {report.since} to {report.until} ({report.timezone})")
    if report.rates_from is not None:
        print(f"  Note: {rates_note(report).strip()}")
    print(f"  Overall: {figures(report.overall)}")
    _print_groups("Vendors", report.by_vendor, lambda key: vendor_name(key, workspace))
    _print_groups("Queues", report.by_queue, lambda key: queue_name(key, workspace))
    _print_groups("Auditors", report.by_auditor, lambda key: auditor_name(key, workspace))
    print(f"\nCalibration candidates: {len(report.flagged)}")


@appeals_app.command("report")
def report_command(
    since: Annotated[
        str | None, Option("--since", help="First local day YYYY-MM-DD (default 27 days before --until).")
    ] = None,
    until: Annotated[str | None, Option("--until", help="Last local day YYYY-MM-DD (default today).")] = None,
    vendor: Annotated[
        list[str] | None, Option("--vendor", help="Only this vendor (repeat for several).")
    ] = None,
    json_only: Annotated[bool, Option("--json", help="Print machine-readable JSON only.")] = False,
) -> None:
    """Appeal rate, overturn rate and median time to decide, with 95% Wilson intervals, overall and
    per vendor, queue and auditor; auditors overturned clearly more often are calibration candidates."""
    settings = Settings()
    workspace = workspace_or_exit(settings)
    first, last = period(workspace, since, until)
    vendors = _vendors(workspace, vendor)
    report = run_on_database(
        settings.database_url, lambda db: appeal_report(db, workspace, first, last, vendors)
    )
    if json_only:
        print(json.dumps(as_json(report), ensure_ascii=False))
        return
    _print(report, workspace)


def register(app: typer.Typer) -> None:
    app.add_typer(appeals_app, name="appeals")
