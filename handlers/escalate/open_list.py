"""Escalations not yet resolved on some queues, for the places that show them beside other figures
(the queue digest): the worst first, then the oldest."""

from __future__ import annotations

from sqlalchemy import select

from storage.engine import Database
from storage.models.escalation import Escalation


async def open_on_queues(db: Database, queues: list[str]) -> list[Escalation]:
    """Open and acknowledged escalations on `queues`, by severity (SEV1 first) then opened_at."""
    if not queues:
        return []
    query = (
        select(Escalation)
        .where(Escalation.status != "resolved", Escalation.queue.in_(queues))
        .order_by(Escalation.severity, Escalation.opened_at, Escalation.number)
    )
    async with db.transaction() as session:
        return list((await session.scalars(query)).all())
