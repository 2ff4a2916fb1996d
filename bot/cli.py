"""The `tsqa` command: run the bot, migrate the database, check the workspace file.

Capabilities add their own subcommands through `add_typer`; read commands take `--json`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from bot.cli_workspace import workspace_or_exit
from bot.config import Settings
from bot.logs import setup_logging
from bot.teams.package import teams_app
from bot.workspace import Workspace, WorkspaceError, load_workspace

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="tsqa-bot: a chat assistant for T&S QA teams.",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")
app.add_typer(teams_app, name="teams")
err = Console(stderr=True, soft_wrap=True)

SETUP_HELP = """\
To connect to Slack:
  1. Create the app from the manifest: https://api.slack.com/apps → Create New App → From a manifest,
     paste manifest.yml, then Install to Workspace.
  2. Copy "Bot User OAuth Token" (OAuth & Permissions) into SLACK_BOT_TOKEN.
  3. Either Socket Mode: create an app-level token with connections:write (Basic Information) and set
     SLACK_APP_TOKEN; or HTTP: copy "Signing Secret" (Basic Information) into SLACK_SIGNING_SECRET and
     set the request URLs in manifest.yml to https://<your host>/slack/events.
Put them in the environment or in a .env file, then run `tsqa run` again."""

TEAMS_SETUP_HELP = """\
To connect to Microsoft Teams (the workspace file says `platform: teams`):
  1. Register a bot (Azure portal → Azure Bot, single tenant); its messaging endpoint is
     https://<your host>/api/messages; under Channels, add Microsoft Teams. Copy the Microsoft App ID
     into TEAMS_APP_ID, a new client secret into TEAMS_APP_PASSWORD and the directory (tenant) ID
     into TEAMS_TENANT_ID.
  2. `tsqa teams package --host <your host>` writes the app package; upload it in Teams
     (Apps → Manage your apps → Upload an app) and add it to the teams whose channels it posts in.
Put them in the environment or in a .env file, then run `tsqa run` again. README: Connecting to Teams."""


LOCAL_VARIABLES = "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, SLACK_API_URL"


@app.command()
def run(
    local: Annotated[
        bool,
        typer.Option(
            "--local",
            help="Run with a local workspace in the browser instead of Slack (default when no Slack "
            "variable is set).",
        ),
    ] = False,
) -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on HOST:PORT; when no Slack
    variable is set at all (or with --local), a local workspace on 127.0.0.1 to try the bot in a browser."""
    settings = Settings()
    workspace = workspace_or_exit(settings)
    if workspace.platform == "teams":
        _run_teams(settings, workspace, local)
        return
    reason = _local_reason(settings, local)
    if reason is not None:
        _run_local(settings, workspace, reason)
        return
    missing = settings.missing_slack()
    if missing:
        empty = [name for name in settings.slack_set() if not _value(settings, name)]
        note = f" ({', '.join(empty)} set but empty)" if empty else ""
        err.print(f"[red]Cannot start: missing {', '.join(missing)}{note}.[/red]", highlight=False)
        if settings.slack_set():
            err.print(
                f"Some Slack variables are set ({', '.join(settings.slack_set())}), so this is meant for "
                "Slack and the local workspace does not start in its place; set the missing ones, or "
                "unset them all (or pass --local) for the local workspace.",
                markup=False,
                highlight=False,
            )
        err.print(SETUP_HELP, markup=False, highlight=False)
        raise typer.Exit(2)
    _serve(
        settings,
        workspace,
        f"is SLACK_API_URL {settings.slack_api_url} reachable and PORT {settings.port} free?",
    )


def _serve(settings: Settings, workspace: Workspace, hint: str) -> None:
    """Run the bot until a signal; a platform's refusal or a busy port exits 2 with what to check."""
    setup_logging(settings.log_level, settings.secrets())
    from bot.app import TsqaBot
    from bot.chat.port import ChatError

    try:
        asyncio.run(TsqaBot(settings, workspace).run_until_signalled())
    except ChatError as exc:
        err.print(f"[red]{workspace.platform.title()} refused to start the bot: {exc}[/red]")
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"[red]Cannot start: {exc}[/red] ({hint})")
        raise typer.Exit(2) from None


def _run_teams(settings: Settings, workspace: Workspace, local: bool) -> None:
    """Teams needs its three variables; the local workspace plays Slack, so it never stands in."""
    if local:
        err.print(
            f"[red]Cannot start the local workspace:[/red] {settings.tsqa_workspace} is a Teams workspace "
            "(platform: teams) and the local workspace plays Slack. Use a Slack workspace file, e.g. "
            "TSQA_WORKSPACE=examples/workspace.yml tsqa run --local.",
            highlight=False,
        )
        raise typer.Exit(2)
    if missing := settings.missing_teams():
        err.print(f"[red]Cannot start: missing {', '.join(missing)}.[/red]", highlight=False)
        err.print(TEAMS_SETUP_HELP, markup=False, highlight=False)
        raise typer.Exit(2)
    _serve(settings, workspace, f"is PORT {settings.port} free?")


def _value(settings: Settings, name: str) -> str:
    value = getattr(settings, name.lower())
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value or "")


def _refuse(message: str) -> typer.Exit:
    err.print(f"[red]Cannot start the local workspace:[/red] {message}", highlight=False)
    return typer.Exit(2)


def _local_reason(settings: Settings, local: bool) -> str | None:
    """Why the local workspace starts, or None to connect to Slack; exits 2 where it must not start.

    It has no login, so it never starts by accident: only with --local or with no Slack variable at all,
    only on loopback, and not on a DATABASE_URL someone chose unless --local says so."""
    if local:
        reason = "--local"
    elif settings.slack_set() or os.environ.get("TSQA_NO_LOCAL") == "1":
        return None
    elif settings.given("database_url"):
        raise _refuse(
            "DATABASE_URL is set but no Slack variable is. That looks like a deployment whose Slack "
            "credentials did not arrive, and the local workspace (no login: whoever reaches it acts as "
            "an admin) would open on that database. Set the Slack variables, or run `tsqa run --local` "
            "to use the local workspace on that database on purpose."
        )
    else:
        reason = f"no Slack variable set ({LOCAL_VARIABLES})"
    from bot.local.run import PublicHostError, local_host

    try:
        local_host(settings)
    except PublicHostError as exc:
        raise _refuse(str(exc)) from None
    return reason


def _run_local(settings: Settings, workspace: Workspace, reason: str) -> None:
    """The bot against a local Slack stand-in, with its page on http://127.0.0.1:PORT."""
    setup_logging(settings.log_level, settings.secrets())
    logging.getLogger("tsqa.local").warning("starting the local workspace: %s", reason)
    from bot.local.run import run_local

    def ready(url: str) -> None:
        err.print(f"Local workspace: open [bold]{url}[/bold] in a browser (Ctrl+C stops).", highlight=False)

    try:
        asyncio.run(run_local(settings, workspace, on_ready=ready))
    except OSError as exc:
        err.print(f"[red]Cannot start the local workspace: {exc}[/red] (is PORT {settings.port} free?)")
        raise typer.Exit(2) from None


@app.command("check-config")
def check_config(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")] = False,
) -> None:
    """Validate the workspace file (TSQA_WORKSPACE) for its platform and list every problem."""
    settings = Settings()
    try:
        workspace = load_workspace(settings.tsqa_workspace)
    except WorkspaceError as exc:
        if as_json:
            print(json.dumps({"ok": False, "file": str(exc.path), "problems": exc.problems}))
            raise typer.Exit(1) from None
        err.print(f"[red]{exc.path}: {len(exc.problems)} problem(s)[/red]")
        for problem in exc.problems:
            err.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    summary = {
        "ok": True,
        "file": settings.tsqa_workspace,
        "platform": workspace.platform,
        "timezone": workspace.timezone,
        "vendors": len(workspace.vendors),
        "queues": len(workspace.queues),
        "groups": len(workspace.groups),
    }
    if as_json:
        print(json.dumps(summary))
    else:
        counts = f"{summary['vendors']} vendors, {summary['queues']} queues, {summary['groups']} groups"
        print(f"{settings.tsqa_workspace}: OK for {workspace.platform.title()} ({counts})")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to DATABASE_URL."""
    from storage.engine import Database
    from storage.migrate import upgrade

    async def go() -> str | None:
        db = Database(Settings().database_url)
        try:
            return await upgrade(db)
        finally:
            await db.dispose()

    print(f"database at revision {asyncio.run(go())}")


def _capability_commands() -> None:
    """Each capability may bring `handlers/<name>/cli.py` with a `register(app)`."""
    from importlib import import_module
    from importlib.util import find_spec

    from handlers import CAPABILITIES

    for name in CAPABILITIES:
        if find_spec(f"handlers.{name}.cli"):
            import_module(f"handlers.{name}.cli").register(app)


_capability_commands()


def main() -> None:
    sys.exit(app())


if __name__ == "__main__":
    main()
