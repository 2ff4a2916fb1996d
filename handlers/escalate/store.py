"""Escalation rows and their timeline: every change is one transaction that also claims what the
change means and schedules the durable timers that carry its side effects (the post, the thread note,
the reminders), so a change and what follows from it are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import claims
from storage.engine import Database
from storage.models.core import Claim
from storage.models.escalation import Escalation, EscalationEvent

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"


@dataclass(frozen=True)
class Draft:
    """What a reporter submitted, checked: the queue's vendor and site come from the workspace."""

    queue: str | None
    vendor: str | None
    site: str | None
    platform: str
    severity: str
    title: str
    description: str
    impact: str
    link: str | None
    channel: str
    source_channel: str | None = None
    source_ts: str | None = None


@dataclass(frozen=True)
class Changed:
    """The outcome of a change: `done` when this call made it; else `reason` says why not
    ("already", "resolved", "not open" …) and `escalation` is the row as it stands."""

    escalation: Escalation | None
    done: bool
    reason: str = ""
    event_id: int | None = None


Timer = tuple[str, str, datetime, dict[str, Any]]  # key, kind, due, payload
# The timers a change stores with itself, given the escalation as the change leaves it and the id of
# the change's timeline event.
TimersFor = Callable[[Escalation, int], list[Timer]]
# Checks the row and changes it; returns the timeline's detail or raises Refused.
Apply = Callable[[Escalation], str]


async def get(db: Database, number: int) -> Escalation | None:
    async with db.transaction() as session:
        return await session.get(Escalation, number)


async def _locked(session: AsyncSession, number: int) -> Escalation | None:
    """The row for a change; PostgreSQL locks it so two replicas' changes queue instead of interleave."""
    query = select(Escalation).where(Escalation.number == number)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def _event(
    session: AsyncSession, number: int, kind: str, user: str | None, at: datetime, detail: str = ""
) -> int:
    row = EscalationEvent(number=number, kind=kind, user=user, at=at, detail=detail)
    session.add(row)
    await session.flush()
    return row.event_id


async def _schedule(session: AsyncSession, timers: Sequence[Timer], now: datetime) -> None:
    """New timers are stored; one that exists and has not run yet moves to its new due time (a
    severity change), and one that has run stays run (a step already said is never said again)."""
    for key, kind, due, payload in timers:
        if not await claims.schedule_in(session, key, kind, due, now, payload):
            await session.execute(
                update(Claim).where(Claim.key == key[:255], Claim.done_at.is_(None)).values(due_at=due)
            )


async def open_escalation(
    db: Database, key: str, draft: Draft, reporter: str, now: datetime, timers: TimersFor
) -> Changed:
    """A new escalation under `key` (what was submitted: the opened form); a second submit of the
    same form finds the first. `timers(escalation)` gives the timers to store with it."""
    async with db.transaction() as session:
        # The claim first: a second replica taking the same form waits on it, then finds the row.
        if not await claims.claim_in(session, key, "escalation", now):
            found = (await session.scalars(select(Escalation).where(Escalation.opened_key == key))).first()
            return Changed(found, False, "already")
        row = Escalation(
            opened_key=key, queue=draft.queue, vendor=draft.vendor, site=draft.site,
            platform=draft.platform, severity=draft.severity, title=draft.title,
            description=draft.description, impact=draft.impact, link=draft.link, reporter=reporter,
            status=OPEN, generation=0, opened_at=now, since_at=now, updates=0, channel=draft.channel,
            source_channel=draft.source_channel, source_ts=draft.source_ts,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        event_id = await _event(session, row.number, "opened", reporter, now, draft.severity)
        await _schedule(session, timers(row, event_id), now)
        return Changed(row, True, event_id=event_id)


async def change(
    db: Database,
    number: int,
    key: str,
    kind: str,
    user: str,
    now: datetime,
    apply: Apply,
    timers: TimersFor,
) -> Changed:
    """One change to an escalation, once for `key` (what the click or form means: a double click or
    a retried form reads "already"). `apply` checks the row and changes it, returning the detail for
    the timeline or raising `Refused`; `timers` are stored with it."""
    try:
        async with db.transaction() as session:
            row = await _locked(session, number)
            if row is None:
                return Changed(None, False, "unknown")
            try:
                detail = apply(row)
            except Refused as refused:
                return Changed(row, False, refused.reason)
            if not await claims.claim_in(session, key, "escalation", now):
                raise _Again()  # rolls back what `apply` changed
            event_id = await _event(session, number, kind, user, now, detail)
            await _schedule(session, timers(row, event_id), now)
            return Changed(row, True, event_id=event_id)
    except _Again:
        return Changed(await get(db, number), False, "already")


class Refused(Exception):
    """The change does not apply to the escalation as it stands (already acknowledged, resolved …)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class _Again(Exception):
    """The key was claimed already: the change rolls back (nothing of it is stored)."""


async def record_post(db: Database, number: int, channel: str, ts: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Escalation).where(Escalation.number == number).values(channel=channel, ts=ts)
        )


async def fill_impact(db: Database, number: int, text: str) -> None:
    """The impact of an escalation raised without one; never overwrites what a person wrote."""
    async with db.transaction() as session:
        await session.execute(
            update(Escalation).where(Escalation.number == number, Escalation.impact == "").values(impact=text)
        )


async def record_event(
    db: Database, number: int, kind: str, user: str | None, at: datetime, detail: str
) -> int:
    """A step the timers took (reminded, paged, nudged), for the timeline."""
    async with db.transaction() as session:
        return await _event(session, number, kind, user, at, detail)


async def event(db: Database, event_id: int) -> EscalationEvent | None:
    async with db.transaction() as session:
        return await session.get(EscalationEvent, event_id)


async def timeline(db: Database, number: int) -> list[EscalationEvent]:
    async with db.transaction() as session:
        query = select(EscalationEvent).where(EscalationEvent.number == number)
        return list((await session.scalars(query.order_by(EscalationEvent.event_id))).all())


async def listing(
    db: Database, *, open_only: bool, where: ColumnElement[bool], user: str | None = None, limit: int = 200
) -> list[Escalation]:
    """Newest first, within `where` (the person's scope); `user` keeps those they reported or own."""
    query = select(Escalation).where(where)
    if open_only:
        query = query.where(Escalation.status != RESOLVED)
    if user is not None:
        query = query.where(or_(Escalation.reporter == user, Escalation.owner == user))
    async with db.transaction() as session:
        return list((await session.scalars(query.order_by(Escalation.number.desc()).limit(limit))).all())
