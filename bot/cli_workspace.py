"""The workspace file for command-line tools: loaded, or exit 2 with every problem listed.

One place for every `tsqa` command (run, digest, quiz, policy), so a broken file reads the same
whichever command found it."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.markup import escape

from bot.config import Settings
from bot.workspace import Workspace, WorkspaceError, load_workspace

_err = Console(stderr=True, soft_wrap=True)


def workspace_or_exit(settings: Settings) -> Workspace:
    try:
        return load_workspace(settings.tsqa_workspace)
    except WorkspaceError as exc:
        _err.print(f"[red]The workspace file {exc.path} has {len(exc.problems)} problem(s):[/red]")
        for problem in exc.problems:
            _err.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def fail(message: str) -> typer.Exit:
    """Say what is wrong (red, on stderr) and give the exit to raise: 2, a question asked wrongly."""
    _err.print(f"[red]{escape(message)}[/red]", highlight=False)
    return typer.Exit(2)


def day_option(value: str | None, flag: str) -> date | None:
    """A `--since`/`--until` style option as a day; exit 2 naming the flag when it is not one."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{flag} {value!r} is not a date like 2026-11-01") from None
