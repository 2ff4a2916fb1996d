"""`tsqa sampling plan …` and `tsqa sampling size …`: the answers `/sampling` gives, for a terminal or
a script (`--json`: the library's dataclass as it is). Nothing is stored and no workspace is read;
`tsqa sampling draw` stores each queue's daily sample once and writes the auditors' CSV;
`tsqa sampling returns FILE` takes it back with the audits filled in.

Exit 2: the question is wrong (the message says what is allowed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from bot.cli_workspace import workspace_or_exit
from bot.config import Settings
from handlers.sampling.cochran import CochranSize
from handlers.sampling.draw_report import as_json as draw_json
from handlers.sampling.draw_report import draw_days, resume_inspection, summary_lines
from handlers.sampling.iso2859 import SamplingError
from handlers.sampling.plans import Plan
from handlers.sampling.returns import ReturnsRefused, refusal_lines, report_lines, take_back
from handlers.sampling.returns import as_json as returns_json
from handlers.sampling.routes import plan_from_words, size_from_words
from storage.migrate import run_on_database

sampling_app = typer.Typer(no_args_is_help=True, help="Audit sampling: ISO 2859-1 plans, Cochran sizes.")
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")]


def _words(**values: str | None) -> list[str]:
    """The options as `/sampling` reads them, so both read numbers (5%, 1,000) and refuse alike."""
    return [f"--{name}={value}" for name, value in values.items() if value is not None]


def _answer(
    read: Callable[[list[str]], T], words: list[str], as_json: bool, show: Callable[[T], None]
) -> None:
    """The answer as JSON (the dataclass as it is) or as text; exit 2 with what is wrong."""
    try:
        found = read(words)
    except SamplingError as exc:
        err.print(f"Error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(asdict(found)))  # type: ignore[call-overload]  # T is a dataclass
    else:
        show(found)


@sampling_app.command("plan")
def plan_command(
    lot: Annotated[str, typer.Option("--lot", help="Items in the lot, e.g. 1000")],
    aql: Annotated[str, typer.Option("--aql", help="Acceptance quality limit in percent, e.g. 1.0")],
    level: Annotated[str, typer.Option("--level", help="I, II, III or S-1…S-4")] = "II",
    inspection: Annotated[str, typer.Option("--inspection", help="normal, tightened or reduced")] = "normal",
    as_json: JsonFlag = False,
) -> None:
    """ISO 2859-1 single sampling: the code letter, the sample size, Ac and Re, arrows followed."""
    _answer(
        plan_from_words, _words(lot=lot, aql=aql, level=level, inspection=inspection), as_json, _print_plan
    )


@sampling_app.command("size")
def size_command(
    population: Annotated[str, typer.Option("--population", help="Items to estimate over, e.g. 5000")],
    margin: Annotated[str, typer.Option("--margin", help="Margin of error, e.g. 0.05 or 5%")],
    confidence: Annotated[str, typer.Option("--confidence", help="Two-sided confidence, e.g. 0.95")] = "0.95",
    p: Annotated[str, typer.Option("--p", help="Expected proportion; 0.5 when unknown")] = "0.5",
    as_json: JsonFlag = False,
) -> None:
    """Cochran's sample size for a proportion, with the finite-population correction, rounded up."""
    words = _words(population=population, margin=margin, confidence=confidence, p=p)
    _answer(size_from_words, words, as_json, _print_size)


def _print_plan(plan: Plan) -> None:
    print(f"Lot {plan.lot}, AQL {plan.aql:g}, level {plan.level}, {plan.inspection} inspection")
    print(f"Code letter {plan.used_letter}: sample {plan.sample_size}, Ac {plan.accept}, Re {plan.reject}")
    if plan.followed_arrow is not None:
        arrow = plan.followed_arrow
        print(f"Table I gives letter {plan.letter}; the arrow points {arrow} to {plan.used_letter}")
    if plan.inspect_all:
        print(f"The sample reaches the lot: inspect all {plan.lot} items (100%)")
    print(plan.note)


def _print_size(size: CochranSize) -> None:
    print(
        f"Population {size.population}, margin {size.margin:g}, confidence {size.confidence:g}, p {size.p:g}"
    )
    print(f"n0 = {size.n0:.2f}, n = {size.n}")
    print(f"Cochran: n0 = z²·p(1−p)/e² with z = {size.z:.3f}; n = n0 / (1 + (n0 − 1)/N), rounded up")


@sampling_app.command("draw")
def draw_command(
    day: Annotated[str, typer.Option("--date", help="The day of the decisions, e.g. 2026-11-23")],
    queue: Annotated[str | None, typer.Option("--queue", help="One queue (default: every queue)")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the auditors' CSV files")] = Path("."),
    as_json: JsonFlag = False,
) -> None:
    """The day's audit sample per queue (stored once: a second run writes the same file), its CSV."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        err.print(f"Error: --date {day!r} is not a date like 2026-11-23", markup=False, highlight=False)
        raise typer.Exit(2) from None
    settings = Settings()
    workspace = workspace_or_exit(settings)
    if queue is not None and workspace.queue(queue) is None:
        known = ", ".join(q.id for q in workspace.queues)
        err.print(f"Error: no queue {queue!r}; the queues are {known}", markup=False, highlight=False)
        raise typer.Exit(2)
    queues = [queue] if queue else [q.id for q in workspace.queues]
    now = datetime.now(UTC)
    results = run_on_database(settings.database_url, lambda db: draw_days(db, workspace, when, queues, now))
    answers = []
    for result in results:
        file = None
        if result.stored is not None and result.stored.drawn.size:
            out.mkdir(parents=True, exist_ok=True)
            path = out / result.filename
            path.write_bytes(result.csv())
            file = str(path)
        answers.append(draw_json(result, file))
        if not as_json:
            print("\n".join(summary_lines(result, file)))
    if as_json:
        print(json.dumps(answers))


@sampling_app.command("resume")
def resume_command(
    queue: Annotated[str, typer.Option("--queue", help="The queue whose inspection was discontinued")],
) -> None:
    """After the vendor's corrective action: a discontinued inspection resumes on tightened."""
    settings = Settings()
    workspace = workspace_or_exit(settings)
    now = datetime.now(UTC)
    try:
        change = run_on_database(
            settings.database_url, lambda db: resume_inspection(db, workspace, queue, now)
        )
    except ValueError as exc:
        err.print(f"Error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    print(f"{queue}: {change.before} → {change.after}: {change.reason}")


@sampling_app.command("returns")
def returns_command(
    file: Annotated[Path, typer.Argument(help="The auditors' CSV with qa_decision filled in")],
    as_json: JsonFlag = False,
) -> None:
    """The audited sample coming back: its audits stored (every row checked first), its days' figures."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        err.print(f"Error: cannot read {file}: {exc.strerror}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    settings = Settings()
    workspace = workspace_or_exit(settings)
    now = datetime.now(UTC)
    try:
        report = run_on_database(
            settings.database_url, lambda db: take_back(db, workspace, file.name, content, now=now)
        )
    except ReturnsRefused as exc:
        err.print("\n".join(refusal_lines(file.name, exc.problems)), markup=False, highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(returns_json(report)))
    else:
        print("\n".join(report_lines(report)))


def register(app: typer.Typer) -> None:
    app.add_typer(sampling_app, name="sampling")
