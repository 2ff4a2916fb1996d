"""Once-only side effects, leases and durable timers: one table, one set of rules, every capability.

A key names what a side effect *means* (`digest:C1:2026-11-29:all`, `event:Ev1`, `breakdown:C1:17.2`),
never a delivery or a click. Whoever inserts the key first wins it; work that is not finished holds a
lease, and a lease that runs out (SIGKILL, out of memory, a stop that cancelled the work) is taken
over by the next attempt, in this process, after a restart or on another replica. Finished work
records its result (e.g. a message ts). A durable timer is the same row with a due time in the
future: the poller takes it when due, one replica at a time (PostgreSQL `FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import Database, Executor
from storage.models.core import Claim

log = logging.getLogger("tsqa.claims")

# Who holds a lease: unique per process, readable in the table when an operator looks.
OWNER = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
# Long enough for any one post or upload, short enough that a crashed worker's work resumes soon.
LEASE = timedelta(seconds=float(os.environ.get("TSQA_LEASE_SECONDS", "120")))
# Slack stops retrying an event after minutes; domain claims answer "already done" for longer.
EVENT_RETENTION = timedelta(days=2)
DONE_RETENTION = timedelta(days=90)
SHORT_LIVED = ("event",)


def dialect_of(executor: Executor) -> str:
    if isinstance(executor, AsyncSession):
        return executor.bind.dialect.name if executor.bind else "sqlite"
    return executor.dialect.name


def insert_ignoring(executor: Executor, model: type) -> Any:
    """An INSERT that can take `.on_conflict_do_nothing()`, in the executor's dialect."""
    return (postgresql.insert if dialect_of(executor) == "postgresql" else sqlite.insert)(model)


@functools.cache
def _insert_once_statement(dialect: str, model: type, keys: tuple[str, ...]) -> Any:
    """Built once per table: every claim runs this, and building a statement costs more than
    running it. On the table, not the ORM class, so a session runs it as plain Core."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model.__table__).on_conflict_do_nothing(index_elements=list(keys))  # type: ignore[attr-defined]


async def insert_once(session: Executor, model: type, keys: list[str], **values: Any) -> bool:
    """Insert a row unless its key exists; True when this call inserted it (the claim was won)."""
    stmt = _insert_once_statement(dialect_of(session), model, tuple(keys))
    return (await session.execute(stmt, values)).rowcount == 1


@dataclass(frozen=True)
class Taken:
    """The outcome of asking for a key. `won`: this caller does the work now. `done`: it was done
    before (see `result`). Neither: another worker holds a live lease. `attempts` > 1 on a won
    claim means an earlier attempt may have got part-way: look for its effect before repeating it."""

    key: str
    won: bool
    done: bool = False
    result: str | None = None
    attempts: int = 1
    payload: dict[str, Any] | None = None
    kind: str = ""
    lease_until: datetime | None = None

    @property
    def retaken(self) -> bool:
        return self.won and self.attempts > 1


def _takeable(now: datetime) -> ColumnElement[bool]:
    """Open, due, and not leased (or the lease ran out)."""
    return and_(
        Claim.done_at.is_(None),
        Claim.due_at <= now,
        or_(Claim.lease_until.is_(None), Claim.lease_until < now),
    )


async def _row(session: Executor, key: str) -> Any:
    """The claim's row (its columns as attributes), on a session or a bare connection."""
    return (await session.execute(select(Claim.__table__).where(Claim.key == key))).first()


def _taken(row: Any, won: bool) -> Taken:
    payload = json.loads(row.payload) if row.payload else None
    return Taken(
        row.key, won, row.done_at is not None, row.result, row.attempts, payload, row.kind, row.lease_until
    )


class Held(Exception):
    """The key is leased by another worker until `until`: a timer waiting on it tries again then."""

    def __init__(self, key: str, until: datetime | None):
        self.key = key
        self.until = until
        super().__init__(f"{key} is held by another worker until {until}")


async def take_in(
    session: Executor,
    key: str,
    kind: str,
    now: datetime,
    *,
    lease: timedelta | None = LEASE,
    owner: str = OWNER,
) -> Taken:
    """Win `key` inside the caller's transaction. `lease=None` marks it done at once (de-duplicating
    a delivery); otherwise the caller holds it until `finish`, `release` or the lease runs out."""
    key = key[:255]
    lease_until = now + lease if lease is not None else None
    done_at = now if lease is None else None
    if await insert_once(
        session, Claim, ["key"],
        key=key, kind=kind[:32], created_at=now, due_at=now, lease_until=lease_until, owner=owner,
        attempts=1, done_at=done_at,
    ):  # fmt: skip
        return Taken(key, True, kind=kind)
    taken_over = await session.execute(
        update(Claim)
        .where(Claim.key == key, _takeable(now))
        .values(owner=owner, lease_until=lease_until, done_at=done_at, attempts=Claim.attempts + 1)
    )
    row = await _row(session, key)
    assert row is not None  # the insert met it
    return _taken(row, taken_over.rowcount == 1)


async def take(
    db: Database, key: str, kind: str, now: datetime, *, lease: timedelta | None = LEASE, owner: str = OWNER
) -> Taken:
    async with db.transaction() as session:
        return await take_in(session, key, kind, now, lease=lease, owner=owner)


async def claim_in(session: Executor, key: str, kind: str, now: datetime | None = None) -> bool:
    """True the first time `key` is claimed, done at once; rolls back with the caller's transaction."""
    return (await take_in(session, key, kind, now or datetime.now(UTC), lease=None)).won


async def claim(db: Database, key: str, kind: str, now: datetime | None = None) -> bool:
    """De-duplicate a delivery (an event, a retry): the key is done as soon as it is claimed."""
    async with db.transaction() as session:
        return await claim_in(session, key, kind, now)


async def finish(
    db: Database, key: str, now: datetime, result: str | None = None, owner: str = OWNER
) -> bool:
    """Record the work as done with its result; False when this owner had lost the lease."""
    async with db.transaction() as session:
        done = await session.execute(
            update(Claim)
            .where(Claim.key == key[:255], Claim.owner == owner, Claim.done_at.is_(None))
            .values(done_at=now, result=result, lease_until=None, last_error=None)
        )
    if done.rowcount != 1:
        log.warning("claim %s finished after its lease was taken over", key)
    return done.rowcount == 1


async def release(
    db: Database,
    key: str,
    *,
    retry_at: datetime | None = None,
    error: str | None = None,
    uncount: bool = False,
    owner: str = OWNER,
) -> None:
    """Give the key back unfinished: at once, or (a timer's back-off) not before `retry_at`.
    `uncount`: this take was no attempt (it waited for another worker), so it does not use one up."""
    values: dict[str, Any] = {"lease_until": None, "owner": None, "last_error": error and error[:2000]}
    if retry_at is not None:
        values["due_at"] = retry_at
    if uncount:
        values["attempts"] = Claim.attempts - 1
    async with db.transaction() as session:
        await session.execute(
            update(Claim)
            .where(Claim.key == key[:255], Claim.owner == owner, Claim.done_at.is_(None))
            .values(**values)
        )


async def give_up(db: Database, key: str, now: datetime, error: str, owner: str = OWNER) -> None:
    """Close the key without a result: the work failed for good and someone has been told."""
    async with db.transaction() as session:
        await session.execute(
            update(Claim)
            .where(Claim.key == key[:255], Claim.owner == owner)
            .values(done_at=now, lease_until=None, last_error=error[:2000])
        )


async def renew(db: Database, key: str, now: datetime, lease: timedelta = LEASE, owner: str = OWNER) -> bool:
    async with db.transaction() as session:
        renewed = await session.execute(
            update(Claim)
            .where(Claim.key == key[:255], Claim.owner == owner, Claim.done_at.is_(None))
            .values(lease_until=now + lease)
        )
    return renewed.rowcount == 1


async def once(
    db: Database,
    key: str,
    kind: str,
    clock: Callable[[], datetime],
    work: Callable[[Taken], Awaitable[str | None]],
    *,
    lease: timedelta = LEASE,
) -> Taken:
    """Run `work` unless `key` is done or held elsewhere; keep the lease alive while it runs, record
    its result when it finishes, give the key back when it raises. A cancelled or killed run keeps
    its lease until it runs out, so the next attempt knows to look for a half-done effect."""
    taken = await take(db, key, kind, clock(), lease=lease)
    if not taken.won:
        return taken
    try:
        async with leased(db, key, clock, lease):
            result = await work(taken)
    except Exception as exc:
        await release(db, key, error=describe(exc))
        raise
    await finish(db, key, clock(), result)
    return replace(taken, done=True, result=result)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


@asynccontextmanager
async def leased(
    db: Database, key: str, clock: Callable[[], datetime], lease: timedelta = LEASE
) -> AsyncIterator[None]:
    """Keep renewing the lease on `key` while the body runs, so slow work is not taken over."""

    async def keep_alive() -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            try:
                await renew(db, key, clock(), lease)
            except Exception:  # the lease may run out; the takeover then looks for the effect
                log.warning("could not renew the lease on %s", key, exc_info=True)

    heartbeat = asyncio.create_task(keep_alive())
    try:
        yield
    finally:
        heartbeat.cancel()


# ----- durable timers -----


async def schedule_in(
    session: AsyncSession,
    key: str,
    kind: str,
    due_at: datetime,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> bool:
    """A timer: work for one thing at one time, kept in the database so restarts and replicas run
    it once. Idempotent: scheduling a key again changes nothing (True only for the first)."""
    return await insert_once(
        session, Claim, ["key"],
        key=key[:255], kind=kind[:32], created_at=now, due_at=due_at, attempts=0,
        payload=json.dumps(payload, sort_keys=True) if payload is not None else None,
    )  # fmt: skip


async def schedule(
    db: Database, key: str, kind: str, due_at: datetime, now: datetime, payload: dict[str, Any] | None = None
) -> bool:
    async with db.transaction() as session:
        return await schedule_in(session, key, kind, due_at, now, payload)


async def reschedule(db: Database, key: str, due_at: datetime) -> bool:
    """Move a timer that has not run yet (a moved session, a snoozed reminder)."""
    async with db.transaction() as session:
        moved = await session.execute(
            update(Claim).where(Claim.key == key[:255], Claim.done_at.is_(None)).values(due_at=due_at)
        )
    return moved.rowcount == 1


async def cancel(db: Database, key: str, now: datetime) -> bool:
    """A timer that is no longer wanted is closed, so it never fires; True if it was still open."""
    async with db.transaction() as session:
        closed = await session.execute(
            update(Claim)
            .where(Claim.key == key[:255], Claim.done_at.is_(None))
            .values(done_at=now, lease_until=None, last_error="cancelled")
        )
    return closed.rowcount == 1


async def take_due(
    db: Database,
    now: datetime,
    kinds: list[str],
    *,
    limit: int = 20,
    lease: timedelta = LEASE,
    owner: str = OWNER,
) -> list[Taken]:
    """The due timers of these kinds this worker won, oldest first; others' live leases are skipped."""
    if not kinds:
        return []
    async with db.transaction() as session:
        query = (
            select(Claim.key).where(_takeable(now), Claim.kind.in_(kinds)).order_by(Claim.due_at).limit(limit)
        )
        if db.is_postgres:  # replicas polling together take different rows instead of queueing
            query = query.with_for_update(skip_locked=True)
        keys = list(await session.scalars(query))
        won = []
        for key in keys:
            taken = await session.execute(
                update(Claim)
                .where(Claim.key == key, _takeable(now))
                .values(owner=owner, lease_until=now + lease, attempts=Claim.attempts + 1)
            )
            if taken.rowcount == 1:
                won.append(key)
        rows = (await session.scalars(select(Claim).where(Claim.key.in_(won)).order_by(Claim.due_at))).all()
    return [_taken(row, True) for row in rows]


async def forget_done_before(db: Database, now: datetime) -> int:
    """Purge finished claims: delivery de-duplication after two days, everything else after 90."""
    async with db.transaction() as session:
        short = await session.execute(
            delete(Claim).where(Claim.kind.in_(SHORT_LIVED), Claim.done_at < now - EVENT_RETENTION)
        )
        long = await session.execute(
            delete(Claim).where(Claim.kind.not_in(SHORT_LIVED), Claim.done_at < now - DONE_RETENTION)
        )
    return (short.rowcount or 0) + (long.rowcount or 0)


async def state(db: Database, key: str) -> Claim | None:
    """The row behind a key, for status answers and tests."""
    async with db.transaction() as session:
        return await _row(session, key[:255])
