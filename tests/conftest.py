"""Shared fixtures: migrated databases on SQLite and PostgreSQL, the example workspace."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.workspace import Workspace, load_workspace
from storage.engine import Database
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TSQA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("TSQA_REQUIRE_POSTGRES") == "1"


@pytest.fixture
def workspace() -> Workspace:
    return load_workspace(ROOT / "examples" / "workspace.yml")


async def _postgres_database() -> tuple[str, str]:
    """A fresh database per test on the configured server, so tests never see each other's rows."""
    server = make_url(POSTGRES_URL)
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    name = f"tsqa_test_{uuid.uuid4().hex[:10]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # unreachable server, no CREATEDB right, ...
        await admin.dispose()
        reason = f"PostgreSQL at {server.render_as_string(hide_password=True)} is not usable: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (TSQA_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    await admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False), name


async def _drop_postgres_database(name: str) -> None:
    admin = create_async_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tsqa.db'}"
        return
    url, name = await _postgres_database()
    yield url
    await _drop_postgres_database(name)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'tsqa.db'}")
    await upgrade(database)
    yield database
    await database.dispose()
