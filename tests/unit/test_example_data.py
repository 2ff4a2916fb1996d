"""The local workspace's example data is stamped by the bot's clock: its audits' appeal windows open
when the bot says it is, not when the wall clock does (a bot on a test's or a demo's clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from bot.workspace import Workspace
from handlers.queue_data.routes import seed_example_data
from storage.engine import Database
from storage.models.digest import Decision

BOT_NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


async def test_seeded_example_audits_are_stored_at_the_bots_time(db: Database, workspace: Workspace) -> None:
    services: Any = SimpleNamespace(db=db, workspace=workspace, clock=lambda: BOT_NOW)
    await seed_example_data(services)
    async with db.transaction() as session:
        stamps = (
            await session.execute(select(func.min(Decision.audited_us), func.max(Decision.audited_us)))
        ).one()
        last = await session.scalar(select(func.max(Decision.completed_us)))
    bot_us = int(BOT_NOW.timestamp() * 1_000_000)
    assert tuple(stamps) == (bot_us, bot_us)
    assert last is not None and last < bot_us  # the data ends before the bot's today
