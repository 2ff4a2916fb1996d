"""The database: SQLite (embedded default) or PostgreSQL, behind one async engine.

One way to open a session: `async with db.transaction() as session`, which commits on success and
rolls back everything on error, so a multi-row write is never half-stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# What a statement runs on: an ORM session, or (on hot paths, a third of the CPU) a bare connection.
Executor = AsyncSession | AsyncConnection


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the scheduler read while a request writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Generous: under a burst the event loop itself may be late to commit; a writer waits its turn
    # rather than losing a delivery's claim to "database is locked".
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    def __init__(self, url: str, *, echo: bool = False):
        self.url = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_postgres:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        elif self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            # One connection, so one writer: transactions queue on the event loop instead of
            # colliding on SQLite's write lock and sleeping in its busy handler (benchmarks/quiz_load.py).
            # Every transaction ends in a commit or a rollback (`transaction`, `connection`), so the
            # pool's own rollback on return would be one more trip through aiosqlite's thread each.
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=120, pool_reset_on_return=None)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A transaction on a bare connection, for hot paths written in Core statements: the same
        all-or-nothing as `transaction`, without the ORM's unit of work."""
        async with self.engine.begin() as conn:
            yield conn

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()

    def safe_url(self) -> str:
        return self.url.render_as_string(hide_password=True)
