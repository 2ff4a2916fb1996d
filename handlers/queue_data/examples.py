"""Synthetic example queue data, so a new workspace shows a real digest on its first morning."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.workspace import Workspace
from handlers.queue_data.generate import generate_backlog, generate_decisions
from handlers.queue_data.ingest import IngestReport, ingest_backlog, ingest_decisions
from storage.engine import Database
from storage.models.digest import Decision

SEED = 20261124


async def has_decisions(db: Database) -> bool:
    async with db.transaction() as session:
        return bool(await session.scalar(select(func.count()).select_from(Decision)))


async def load_example_data(
    db: Database,
    workspace: Workspace,
    today: date,
    *,
    days: int = 28,
    force: bool = False,
    now: datetime | None = None,
) -> list[IngestReport]:
    """`days` of generated decisions and backlog ending yesterday; skipped when data exists unless forced.
    `now` stamps the ingest (when its audits were stored): the caller's clock, so a bot on another clock
    than the wall's seeds data that agrees with it."""
    if not force and await has_decisions(db):
        return []
    start = today - timedelta(days=days)
    decisions = generate_decisions(workspace, start, days, seed=SEED, auditors=True)  # who audited: appeals
    backlog = generate_backlog(workspace, start, days, seed=SEED)
    now = now or datetime.now(UTC)
    return [
        await ingest_decisions(
            db, workspace, decisions.to_csv(index=False).encode(), "example decisions", now=now
        ),
        await ingest_backlog(db, workspace, backlog.to_csv(index=False).encode(), "example backlog"),
    ]
