"""`tsqa quality report`: the error analysis for a terminal or a script, with the CSV and charts that chat
shows as files. Exit 2: the command is wrong (a date, an unknown queue/vendor/site), with what is wrong."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_workspace import day_option, fail, workspace_or_exit
from bot.config import Settings
from bot.workspace import Workspace
from handlers.quality.analysis import report_for
from handlers.quality.charts import confusion_chart, trend_chart
from handlers.quality.export import errors_csv
from handlers.quality.report import QualityReport
from handlers.quality.scope import DEFAULT_DAYS, Scope, default_period, kept_since
from storage.migrate import run_on_database

quality_app = typer.Typer(no_args_is_help=True, help="Error analysis from QA audits.")
Option = typer.Option


def period(workspace: Workspace, since: str | None, until: str | None) -> tuple[date, date]:
    """--since/--until as local days (inclusive); 28 days ending yesterday by default."""
    first, last = default_period(workspace)
    until_day = day_option(until, "--until") or last
    since_day = day_option(since, "--since") or (
        until_day - timedelta(days=DEFAULT_DAYS - 1) if until else first
    )
    if since_day > until_day:
        raise fail(f"--since {since_day} is after --until {until_day}")
    return since_day, until_day


def _file_part(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", key)


def _write_charts(report: QualityReport, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for confusion in report.confusion:
        path = folder / f"confusion-{_file_part(confusion.queue)}.png"
        path.write_bytes(confusion_chart(confusion))
        written.append(path)
    for group in report.groups:
        path = folder / f"trend-{group.level}-{_file_part(group.key)}.png"
        path.write_bytes(trend_chart(group))
        written.append(path)
    return written


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print(report: QualityReport, retention_days: int) -> None:
    print(f"Quality for {report.scope.describe()}, {report.since} to {report.until} ({report.timezone})")
    note = report.kept_note(retention_days)
    if note is not None:
        print(f"  Note: {note} (asked from {report.clamped_from}).")
    if not report.groups:
        print("  no audited decisions in this period")
    for g in report.groups:
        flag = "  [below target]" if g.below_target else ""
        print(
            f"  {g.level:<7} {g.key:<14} {_pct(g.quality):>6} ({_pct(g.low)}–{_pct(g.high)}) "
            f"of {g.audited:,} audited, target {_pct(g.target)}; over {g.over}, under {g.under}, "
            f"unranked {g.unranked}{flag}"
        )
        for pair in g.top_errors[:3]:
            print(f"      {pair.decision} → QA {pair.qa_decision}: {pair.count} ({pair.share:.0%} of errors)")
    flagged = [labeler for labeler in report.labelers if labeler.flagged]
    print(f"\nLabelers clearly below target: {len(flagged)}")
    for lab in flagged[:20]:
        print(
            f"  {lab.labeler_id:<12} {lab.queue:<14} errors {lab.errors}/{lab.audited} "
            f"({_pct(lab.error_rate)}, {_pct(lab.error_low)}–{_pct(lab.error_high)})"
        )
    print(f"\nStandout error pairs: {len(report.standouts)}")
    for s in report.standouts:
        print(
            f"  {s.vendor} on {s.queue}: {s.decision} → QA {s.qa_decision} {_pct(s.rate)} "
            f"({s.errors}/{s.audited}) vs {_pct(s.reference_rate)} for {s.reference}"
        )


@quality_app.command("report")
def report_command(
    queue: Annotated[str | None, Option("--queue", help="Only this queue.")] = None,
    vendor: Annotated[str | None, Option("--vendor", help="Only this vendor.")] = None,
    site: Annotated[str | None, Option("--site", help="Only this site.")] = None,
    since: Annotated[
        str | None, Option("--since", help="First local day YYYY-MM-DD (default 28 days ago).")
    ] = None,
    until: Annotated[
        str | None, Option("--until", help="Last local day YYYY-MM-DD (default yesterday).")
    ] = None,
    as_json: Annotated[bool, Option("--json", help="Print machine-readable JSON only.")] = False,
    csv: Annotated[
        Path | None, Option("--csv", help="Also write the audited errors to this CSV file.")
    ] = None,
    chart_dir: Annotated[
        Path | None, Option("--chart-dir", help="Also draw confusion and trend charts (PNG) into DIR.")
    ] = None,
) -> None:
    """Quality with 95% Wilson intervals, confusion, over/under-enforcement, top error pairs, weekly
    trend, labelers clearly below target and the vendor error pairs that stand out."""
    settings = Settings()
    workspace = workspace_or_exit(settings)
    try:
        scope = Scope.of(workspace, queue=queue, vendor=vendor, site=site)
    except ValueError as exc:
        raise fail(str(exc)) from None
    first, last = period(workspace, since, until)
    first, clamped_from = kept_since(workspace, first, datetime.now(workspace.tz).date())
    if first > last:
        raise fail(
            f"--until {last} is before {first}, the first day still kept: raw decisions are kept "
            f"{workspace.ingest.retention_days} days"
        )
    report, table = run_on_database(
        settings.database_url,
        lambda db: report_for(db, workspace, scope, first, last, clamped_from=clamped_from),
    )
    if csv is not None:
        csv.write_bytes(
            errors_csv(table, workspace, scope=scope, since=first, until=last, tz=workspace.timezone)
        )
    charts = _write_charts(report, chart_dir) if chart_dir is not None else []
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    _print(report, workspace.ingest.retention_days)
    if csv is not None:
        print(f"\nErrors written to {csv}.")
    if charts:
        print(f"{len(charts)} charts written to {chart_dir}.")


def register(app: typer.Typer) -> None:
    app.add_typer(quality_app, name="quality")
