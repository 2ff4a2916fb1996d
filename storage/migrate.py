"""Bring the schema to the newest Alembic revision; used by `tsqa db upgrade` and at `tsqa run` start."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from storage.engine import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: replicas starting together take turns instead of racing the same DDL.
_PG_LOCK = 0x7453_5141


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(db: Database, revision: str = "head") -> str | None:
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)
    return await current_revision(db)


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


T = TypeVar("T")


def run_on_database(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """For a CLI command: the database migrated, `work` run on it, the engine disposed."""

    async def go() -> T:
        db = Database(url)
        try:
            await upgrade(db)
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())
