"""The workspace file for command-line tools: loaded, or exit 2 with every problem listed.

One place for every `tsqa` command (run, digest, quiz, policy), so a broken file reads the same
whichever command found it."""

from __future__ import annotations

import typer
from rich.console import Console

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
