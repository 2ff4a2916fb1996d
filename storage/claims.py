"""Claim a key once, across retries, restarts and replicas: the database's unique key decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import Database
from storage.models.core import ProcessedEvent


def insert_ignoring(session: AsyncSession, model: type) -> Any:
    """An INSERT that can take `.on_conflict_do_nothing()`, in the session's dialect."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


async def insert_once(session: AsyncSession, model: type, keys: list[str], **values: Any) -> bool:
    """Insert a row unless its key exists; True when this call inserted it (the claim was won)."""
    stmt = insert_ignoring(session, model).values(**values).on_conflict_do_nothing(index_elements=keys)
    return (await session.execute(stmt)).rowcount == 1


async def claim_in(session: AsyncSession, key: str, kind: str, now: datetime | None = None) -> bool:
    """True the first time `key` is claimed; inside the caller's transaction so it rolls back with it."""
    return await insert_once(
        session, ProcessedEvent, ["key"], key=key[:255], kind=kind, created_at=now or datetime.now(UTC)
    )


async def claim(db: Database, key: str, kind: str, now: datetime | None = None) -> bool:
    async with db.transaction() as session:
        return await claim_in(session, key, kind, now)


async def forget_before(db: Database, cutoff: datetime, kinds: tuple[str, ...]) -> int:
    """Drop old claims of short-lived kinds (event retries stop after minutes); keep the rest."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(ProcessedEvent).where(ProcessedEvent.created_at < cutoff, ProcessedEvent.kind.in_(kinds))
        )
        return result.rowcount or 0


EVENT_RETENTION = timedelta(days=2)
