"""`tsqa policy …`: the policy library from a terminal.

`load` reports one line per file (loaded, updated, unchanged, or invalid with its line and reason) and
exits 1 when any file was invalid, so a CI job that publishes the library fails on a bad file. `list`
shows what answers today and what is coming.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.cli_workspace import workspace_or_exit
from bot.config import Settings
from bot.workspace import Workspace
from handlers.policy import cascade_cli, store
from handlers.policy.model import Policy
from storage.engine import Database
from storage.migrate import run_on_database

policy_app = typer.Typer(no_args_is_help=True, help="The policy library: load policy files, list them.")
err = Console(stderr=True, soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")]


def _folder(settings: Settings, workspace: Workspace, given: Path | None) -> Path:
    """DIR as given, else the workspace's policy.dir beside the workspace file."""
    folder = given
    if folder is None:
        if workspace.policy is None:
            err.print(
                f"[red]No folder given and {settings.tsqa_workspace} has no policy: section.[/red] Pass "
                "DIR, or add `policy: {dir: policies}` to the workspace file.",
                highlight=False,
            )
            raise typer.Exit(2)
        folder = workspace.policy.folder(settings.tsqa_workspace)
    if not folder.is_dir():
        err.print(f"[red]{folder} is not a folder.[/red]", highlight=False)
        raise typer.Exit(2)
    return folder


@policy_app.command("load")
def load_command(
    folder: Annotated[
        Path | None, typer.Argument(help="Folder of policy files (default: the workspace's policy.dir)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Load every policy file of a folder: a new file is loaded, a changed one becomes a new version, an
    unchanged one is left alone, an invalid one loads nothing and says where it is wrong."""
    settings = Settings()
    workspace = workspace_or_exit(settings)
    where = _folder(settings, workspace, folder)
    if not store.policy_files(where):
        err.print(f"[red]No policy files (*.md) in {where}.[/red]", highlight=False)
        raise typer.Exit(1)
    results = run_on_database(
        settings.database_url, lambda db: store.load_dir(db, where, datetime.now(UTC), workspace)
    )
    invalid = sum(r.status == "invalid" for r in results)
    if as_json:
        print(json.dumps({"ok": not invalid, "folder": str(where), "files": [r.as_dict() for r in results]}))
    else:
        for r in results:
            detail = (
                f"line {r.line}: {r.reason}"
                if r.status == "invalid"
                else f"{r.policy_id} version {r.version}"
            )
            print(f"{r.status:<9} {r.file}  {detail}")
    if invalid:
        raise typer.Exit(1)


def _today(workspace: Workspace) -> date:
    return datetime.now(workspace.tz).date()


@policy_app.command("list")
def list_command(as_json: JsonFlag = False) -> None:
    """Every policy: the version in effect today with its date, and any version still to come."""
    settings = Settings()
    workspace = workspace_or_exit(settings)
    today = _today(workspace)

    async def work(db: Database) -> tuple[list[Policy], list[Policy]]:
        return await store.in_effect(db, today), await store.upcoming(db, today)

    current, coming = run_on_database(settings.database_url, work)
    rows = _rows(current, coming)
    if as_json:
        print(json.dumps({"today": today.isoformat(), "policies": rows}))
        return
    if not rows:
        print("No policies loaded yet: `tsqa policy load` reads the workspace's policy folder.")
    for row in rows:
        now = f"version {row['version']} since {row['effective']}" if row["version"] else "not in effect yet"
        later = "".join(f"; version {c['version']} coming on {c['effective']}" for c in row["coming"])
        print(f"{row['id']}  {row['title']}: {now}{later}")


def _rows(current: list[Policy], coming: list[Policy]) -> list[dict[str, Any]]:
    """One row per policy id: the version in effect (or none yet) and the ones coming, by date."""
    by_id: dict[str, dict[str, Any]] = {}
    for policy in current:
        by_id[policy.id] = {
            "id": policy.id,
            "title": policy.title,
            "version": policy.version,
            "effective": policy.effective.isoformat(),
            "coming": [],
        }
    for policy in coming:
        row = by_id.setdefault(
            policy.id,
            {"id": policy.id, "title": policy.title, "version": None, "effective": None, "coming": []},
        )
        row["coming"].append({"version": policy.version, "effective": policy.effective.isoformat()})
    return [by_id[key] for key in sorted(by_id)]


def register(app: typer.Typer) -> None:
    cascade_cli.register(policy_app)
    app.add_typer(policy_app, name="policy")
