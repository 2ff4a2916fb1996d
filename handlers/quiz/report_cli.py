"""`tsqa quiz report TOPIC [--vendor V] [--since D] [--json] [--csv FILE]`: the same report as
`/quiz report`, for a terminal or a script, and the answers CSV where chat cannot take files (Teams)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.cli_workspace import workspace_or_exit
from bot.config import Settings
from handlers.quiz.report import ReportError, placement_lookup, report
from handlers.quiz.reporting import csv_bytes
from storage.engine import Database
from storage.migrate import run_on_database

err = Console(stderr=True, soft_wrap=True)


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-01") from None


def report_command(
    topic: Annotated[str, typer.Argument(help="The quiz topic id")],
    vendor: Annotated[str | None, typer.Option("--vendor", help="Only this vendor's labelers")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Attempts finished from YYYY-MM-DD (UTC)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")] = False,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Also write every answer to this CSV file")
    ] = None,
) -> None:
    """Results of a quiz: scores per vendor and site, item statistics, review flags, training to-do."""
    settings = Settings()
    workspace = workspace_or_exit(settings)
    if vendor is not None and workspace.vendor(vendor) is None:
        known = ", ".join(v.id for v in workspace.vendors) or "none"
        err.print(f"No vendor {vendor!r} in the workspace file (known: {known}).", highlight=False)
        raise typer.Exit(1)
    day = _day(since)

    async def go(db: Database) -> Any:
        lookup = placement_lookup(db, workspace)  # no chat connection: roster and workspace file only
        return await report(db, topic.lower(), lookup, vendor=vendor, since=day)

    try:
        data, loaded = run_on_database(settings.database_url, go)
    except ReportError as exc:
        err.print(f"{exc}. `tsqa quiz import FILE` adds quizzes.", markup=False, highlight=False)
        raise typer.Exit(1) from None
    if csv is not None:
        csv.write_bytes(csv_bytes(loaded))
    if as_json:
        print(json.dumps(data, ensure_ascii=False, default=str))
        return
    _print(data)
    if csv is not None:
        print(f"Answers written to {csv}.")


def _print(data: dict[str, Any]) -> None:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0%}"

    part = data["participation"]
    print(f"{data['title']} ({data['topic']}): {part['labelers']} labelers, ", end="")
    print(f"{part['finished_attempts']} finished attempts")
    if data["overall"]:
        o = data["overall"]
        print(f"mean {pct(o['mean'])}, median {pct(o['median'])}, pass rate {pct(o['pass_rate'])}")
    for g in data["groups"]:
        print(f"  {g['vendor']}/{g['site']}: {g['labelers']} labelers, pass rate {pct(g['pass_rate'])}")
    print(f"KR-20: {data['kr20'] if data['kr20'] is not None else 'n/a'}")
    for q in data["questions"]:
        print(f"  {q['question']}: p {pct(q['p'])}, D {q['d']}, r {q['rpb']}")
    for f in data["flags"]:
        print(f"review {f['question']}: {'; '.join(f['reasons'])}")
    kept = data["retention"]["overall"]
    if kept:
        cards, people = kept["cards"], kept["people"]
        print(f"retention of missed questions: {pct(kept['mean'])} ({cards} cards, {people} labelers)")
    for note in data["notes"]:
        print(note)


def register(quiz_app: typer.Typer) -> None:
    quiz_app.command("report")(report_command)
