"""Storage on SQLite and PostgreSQL: migrations, claims, all-or-nothing transactions."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.claims import claim, claim_in, forget_done_before
from storage.engine import Database
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Claim


async def test_migrations_reach_head_and_are_repeatable(db: Database) -> None:
    assert await current_revision(db) == head_revision()
    assert await upgrade(db) == head_revision()  # a second run (another replica) changes nothing


async def test_a_key_is_claimed_once(db: Database) -> None:
    assert await claim(db, "event:Ev1", "event") is True
    assert await claim(db, "event:Ev1", "event") is False
    assert await claim(db, "event:Ev2", "event") is True


async def test_concurrent_claims_have_one_winner(db: Database) -> None:
    results = await asyncio.gather(*(claim(db, "event:race", "event") for _ in range(8)))
    assert results.count(True) == 1


async def test_a_failed_transaction_stores_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            assert await claim_in(session, "a", "event")
            assert await claim_in(session, "b", "event")
            raise RuntimeError("boom after two rows")
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Claim)) == 0


async def test_finished_claims_of_every_kind_are_purged_after_their_retention(db: Database) -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    await claim(db, "event:old", "event", old)
    await claim(db, "digest:C1:2026-01-01", "digest", old)
    await claim(db, "event:new", "event", old + timedelta(days=5))
    # events go after two days, domain claims after 90: both kinds are purged in time
    assert await forget_done_before(db, old + timedelta(days=3)) == 1
    assert await claim(db, "digest:C1:2026-01-01", "digest") is False
    assert await claim(db, "event:new", "event") is False
    assert await forget_done_before(db, old + timedelta(days=91)) == 2
    assert await claim(db, "digest:C1:2026-01-01", "digest") is True


async def test_health_ping_reports_a_dead_database() -> None:
    dead = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert await dead.ping() is False
    await dead.dispose()


async def test_migrations_build_exactly_the_tables_the_models_describe(db: Database) -> None:
    """A model changed without a migration (or the reverse) shows here, on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    def differences(connection) -> list:  # noqa: ANN001 - a sync Connection
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as conn:
        diff = await conn.run_sync(differences)
    assert diff == []
