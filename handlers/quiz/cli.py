"""`tsqa quiz …`: question banks in and out from a terminal.

`import` reports per question: imported, updated (a new version) or skipped, with the reason and the
line; a file that cannot be parsed stores nothing and exits 1. `export` prints the questions as stored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.config import Settings
from handlers.quiz import report_cli, store
from handlers.quiz.bank import BankError
from handlers.quiz.formats import parse_bank
from handlers.quiz.native_export import question_dict
from storage.engine import Database
from storage.migrate import run_on_database

quiz_app = typer.Typer(no_args_is_help=True, help="Knowledge checks: import and export question banks.")
err = Console(stderr=True, soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")]


def _with_db(work: Any) -> Any:
    return run_on_database(Settings().database_url, work)


@quiz_app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A .yml, .gift, .aiken or .csv bank")
    ],
    topic: Annotated[str | None, typer.Option("--topic", help="The topic for questions without one")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import a question bank: per question, imported, updated or skipped (with the reason and line)."""
    try:
        bank = parse_bank(file.name, file.read_bytes(), topic=topic)
    except BankError as exc:
        if as_json:
            print(json.dumps({"ok": False, "file": str(file), "problems": exc.problems}))
        else:
            err.print(f"[red]{file}: not imported, nothing stored:[/red]")
            for problem in exc.problems:
                err.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    report = _with_db(lambda db: store.import_bank(db, bank, datetime.now(UTC)))
    if as_json:
        print(json.dumps({"ok": True, "file": str(file), **report.as_dict()}))
        return
    for line in report.lines:
        where = f"line {line.line}: " if line.line else ""
        detail = (
            f" (version {line.version})"
            if line.status == "updated"
            else f": {line.reason}"
            if line.reason
            else ""
        )
        print(f"{where}{line.status} {line.topic}/{line.question_id}{detail}".replace(" /", " "))
    print(
        f"{file.name}: {report.count('imported')} imported, {report.count('updated')} updated, "
        f"{report.count('skipped')} skipped"
    )


@quiz_app.command("export")
def export_command(
    topic: Annotated[str, typer.Option("--topic", help="The topic to print")],
    as_json: JsonFlag = False,
) -> None:
    """Print a topic's questions as stored: type, text, options with correctness or weight, feedback."""

    async def work(db: Database) -> Any:
        async with db.transaction() as session:
            found = await store.topic(session, topic)
            questions = await store.active_questions(session, topic)
        return found, questions

    found, questions = _with_db(work)
    if found is None:
        err.print(f"[red]No topic {topic!r}.[/red] `tsqa quiz import FILE` adds topics.", highlight=False)
        raise typer.Exit(1)
    data = {
        "topic": found.id,
        "title": found.title,
        "pass_mark": found.pass_mark,
        "time_limit": found.time_limit_seconds,
        "questions": [question_dict(q) for _, q in questions],
    }
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    print(f"{found.title} ({found.id}): {len(questions)} questions, pass mark {found.pass_mark:.0%}")
    for _, question in questions:
        print(f"- [{question.type}] {question.id}: {question.text}")


def register(app: typer.Typer) -> None:
    report_cli.register(quiz_app)
    from handlers.quiz import assign_cli  # readiness and roster: imported here, one line per helper module

    assign_cli.register(quiz_app)
    app.add_typer(quiz_app, name="quiz")
