"""`tsqa quiz readiness` and `tsqa quiz roster import`: go-live readiness and who works where.

Readiness runs without a chat connection, so placement here uses the roster and the workspace file
(workspace groups expanded); people known only from a vendor channel's membership show as unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.cli_workspace import workspace_or_exit
from bot.config import Settings
from bot.workspace import Workspace
from handlers.quiz import progress, store
from handlers.quiz.people import RosterError, import_roster, parse_roster, placements
from storage.engine import Database
from storage.migrate import run_on_database

err = Console(stderr=True, soft_wrap=True)
ROSTER_HEADER = "user_id,vendor,site[,labeler_id]"
roster_app = typer.Typer(no_args_is_help=True, help="Who works for which vendor and site.")


def _run(work: Any) -> Any:
    """`work(db, workspace)` on a migrated database; a broken workspace file exits 2 saying why."""
    settings = Settings()
    workspace = workspace_or_exit(settings)

    return run_on_database(settings.database_url, lambda db: work(db, workspace))


async def readiness(db: Database, workspace: Workspace, topic_id: str | None) -> dict[str, Any]:
    """Per topic, per vendor and site: who is assigned or has passed, who is ready, who not yet."""

    async def members(ids: Iterable[str]) -> set[str]:
        return set(workspace.expand(ids))

    found = [t.topic for t in await store.topics(db) if topic_id is None or t.topic.id == topic_id]
    topics = []
    for topic in found:
        rows = await progress.progress(db, topic.id)
        rows = [r for r in rows if r.assigned or r.passed]
        placed = await placements(
            db, workspace, [r.user for r in rows], members=members, channel_members=None
        )
        groups = []
        for (vendor, site), members_of in progress.by_placement(rows, placed).items():
            ready = sorted(r.user for r in members_of if r.passed)
            waiting = sorted(r.user for r in members_of if not r.passed)
            groups.append(
                {"vendor": vendor, "site": site, "assigned": sum(r.assigned for r in members_of),
                 "ready": len(ready), "not_yet": len(waiting), "ready_users": ready, "not_yet_users": waiting}
            )  # fmt: skip
        topics.append({"topic": topic.id, "title": topic.title, "groups": groups})
    return {"topics": topics}


def readiness_command(
    topic: Annotated[str | None, typer.Option("--topic", help="Only this topic")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")] = False,
) -> None:
    """Who is ready to go live (passed) per topic, vendor and site, and who is not yet."""
    data = _run(lambda db, ws: readiness(db, ws, topic.lower() if topic else None))
    if topic and not data["topics"]:
        err.print(f"[red]No topic {topic!r}.[/red] `tsqa quiz import FILE` adds topics.", highlight=False)
        raise typer.Exit(1)
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    for entry in data["topics"]:
        print(f"{entry['title']} ({entry['topic']})")
        for group in entry["groups"]:
            where = f"{group['vendor'] or 'vendor unknown'} / {group['site'] or 'site unknown'}"
            counts = f"{group['ready']} ready, {group['not_yet']} not yet ({group['assigned']} assigned)"
            print(f"  {where}: {counts}")


@roster_app.command("import")
def roster_import(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV: user_id,vendor,site[,labeler_id]")
    ],
) -> None:
    """Add or update people's vendor and site; a file with any problem changes nothing and exits 1."""

    async def work(db: Database, workspace: Workspace) -> Any:
        rows = parse_roster(file.read_bytes(), workspace)
        return await import_roster(db, rows, datetime.now(UTC))

    try:
        report = _run(work)
    except RosterError as exc:
        err.print(f"[red]{file}: not imported, nothing changed:[/red]")
        for problem in exc.problems:
            err.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    print(f"{file.name}: {report.added} added, {report.updated} updated, {report.unchanged} unchanged")


def register(quiz_app: typer.Typer) -> None:
    quiz_app.command("readiness")(readiness_command)
    quiz_app.add_typer(roster_app, name="roster")
