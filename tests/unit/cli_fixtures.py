"""The `tsqa` command line as the CLI tests run it: one capability's commands mounted the way `tsqa`
mounts them, and the environment naming a database and the example workspace file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

EXAMPLE_WORKSPACE = Path(__file__).resolve().parents[2] / "examples" / "workspace.yml"


def tsqa_app(register: Callable[[typer.Typer], None]) -> typer.Typer:
    """A root app the capability registers into, as `tsqa` has it."""
    root = typer.Typer()
    root.command("version")(lambda: None)  # a second command keeps the capability a subcommand
    register(root)
    return root


def tsqa_env(database_url: str) -> dict[str, str]:
    """What `tsqa` reads from the environment: the database, and the example workspace file."""
    return {"DATABASE_URL": database_url, "TSQA_WORKSPACE": str(EXAMPLE_WORKSPACE)}
