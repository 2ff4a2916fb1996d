"""Draws, lots and switching states in the database, read back as the pure modules' own types.

A draw is stored once per (queue, day): whoever inserts the row first wins, and every later run (the
CLI again, the job on another replica, a restart) reads the stored sample instead of drawing anew,
so the auditors' file never changes under them. A lot is recorded once per (queue, day) together
with the switching state it leads to, in one transaction, so a lot is never counted twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.sampling.draw import Drawn, LabelerDraw, Pick
from handlers.sampling.plans import Plan
from handlers.sampling.switching import Change, SwitchState
from storage.claims import insert_once
from storage.engine import Database
from storage.models import Decision, SamplingDraw, SamplingDrawnItem, SamplingLot, SamplingState

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class StoredDraw:
    """A queue's day as drawn: the plan it was drawn under and the sample itself."""

    queue: str
    day: date
    vendor: str
    inspection: str
    aql: float
    level: str
    lot_size: int
    sample_size: int
    accept: int
    reject: int
    plan_note: str
    drawn: Drawn
    created_at: datetime
    posted_ts: str | None = None


@dataclass(frozen=True)
class Lot:
    """A drawn day judged from its returned audits, and the switch it caused (if any)."""

    queue: str
    day: date
    vendor: str
    inspection: str
    sample: int
    audited: int
    nonconforming: int
    accepted: bool
    change: Change | None
    applied_at: datetime

    @property
    def judged(self) -> bool:
        """False for a day whose audits never all came back: recorded, but it moved nothing."""
        return self.audited >= self.sample


@dataclass(frozen=True)
class Returned:
    """How many of a drawn day's decisions QA has audited so far, and how many of those disagree."""

    drawn: int  # the plan's sample (at most its sample size)
    audited: int
    nonconforming: int
    extra: int = 0  # drawn beyond the plan's size for the minimums per labeler: audited, not judged

    @property
    def complete(self) -> bool:
        return self.audited >= self.drawn


def _iso(completed_us: int) -> str:
    return (_EPOCH + timedelta(microseconds=completed_us)).isoformat()


def _summary(plan: Plan, drawn: Drawn) -> str:
    return json.dumps(
        {
            "plan_note": plan.note,
            "notes": list(drawn.notes),
            "labelers": [asdict(labeler) for labeler in drawn.labelers],
        },
        sort_keys=True,
    )


async def save_draw(
    db: Database, vendor: str, plan: Plan, drawn: Drawn, now: datetime
) -> tuple[StoredDraw, bool]:
    """Store `drawn` for its (queue, day) unless a draw is stored already; the stored draw, and
    whether this call stored it."""
    async with db.transaction() as session:
        won = await insert_once(
            session, SamplingDraw, ["queue", "day"],
            queue=drawn.queue, day=drawn.day, vendor=vendor, seed=drawn.seed, inspection=plan.inspection,
            aql=plan.aql, level=plan.level, lot_size=plan.lot, sample_size=plan.sample_size,
            accept=plan.accept, reject=plan.reject, drawn=drawn.size, summary=_summary(plan, drawn),
            created_at=now, posted_ts=None,
        )  # fmt: skip
        if won and drawn.picks:
            session.add_all(
                SamplingDrawnItem(
                    queue=p.queue,
                    day=drawn.day,
                    item_id=p.item_id,
                    completed_us=p.completed_us,
                    labeler_id=p.labeler_id,
                    decision=p.decision,
                )  # fmt: skip
                for p in drawn.picks
            )
            await session.flush()
        stored = await _read_draw(session, drawn.queue, drawn.day)
    assert stored is not None  # inserted now or before
    return stored, won


async def _read_draw(session: AsyncSession, queue: str, day: date) -> StoredDraw | None:
    row = await session.get(SamplingDraw, (queue, day))
    if row is None:
        return None
    items = (
        await session.scalars(
            select(SamplingDrawnItem)
            .where(SamplingDrawnItem.queue == queue, SamplingDrawnItem.day == day)
            .order_by(SamplingDrawnItem.completed_us, SamplingDrawnItem.item_id)
        )
    ).all()
    return _stored(row, items)


def _stored(row: SamplingDraw, items: Any) -> StoredDraw:
    summary = json.loads(row.summary)
    picks = tuple(
        Pick(row.queue, i.item_id, _iso(i.completed_us), i.completed_us, i.labeler_id, i.decision)
        for i in items
    )
    labelers = tuple(LabelerDraw(**labeler) for labeler in summary.get("labelers", []))
    drawn = Drawn(
        row.queue, row.day, row.seed, row.sample_size, picks, labelers, tuple(summary.get("notes", []))
    )
    return StoredDraw(
        queue=row.queue, day=row.day, vendor=row.vendor, inspection=row.inspection, aql=row.aql,
        level=row.level, lot_size=row.lot_size, sample_size=row.sample_size, accept=row.accept,
        reject=row.reject, plan_note=summary.get("plan_note", ""), drawn=drawn, created_at=row.created_at,
        posted_ts=row.posted_ts,
    )  # fmt: skip


async def load_draw(db: Database, queue: str, day: date) -> StoredDraw | None:
    async with db.transaction() as session:
        return await _read_draw(session, queue, day)


async def set_posted(db: Database, queue: str, day: date, ts: str) -> None:
    """Where the day's summary went, so a status answer can link to it."""
    async with db.transaction() as session:
        await session.execute(
            update(SamplingDraw)
            .where(SamplingDraw.queue == queue, SamplingDraw.day == day)
            .values(posted_ts=ts)
        )


async def unjudged_days(db: Database, queue: str) -> list[date]:
    """Drawn days of `queue` with a sample and no lot recorded yet, oldest first."""
    judged = select(SamplingLot.day).where(SamplingLot.queue == queue)
    query = (
        select(SamplingDraw.day)
        .where(SamplingDraw.queue == queue, SamplingDraw.drawn > 0, SamplingDraw.day.not_in(judged))
        .order_by(SamplingDraw.day)
    )
    async with db.transaction() as session:
        return list(await session.scalars(query))


async def latest_day(db: Database) -> date | None:
    """The latest day any queue was drawn for: where a catch-up after downtime starts."""
    async with db.transaction() as session:
        return await session.scalar(select(func.max(SamplingDraw.day)))


def plan_order(seed: int, queue: str, day: date, item_id: str, completed_us: int) -> str:
    """Where a drawn item stands in the plan's order: the lot is judged on the first `sample_size` of
    its drawn items in this order, whatever the minimums per labeler added. Seeded, so anyone can
    recompute which items those are."""
    return hashlib.sha256(f"{seed}|{queue}|{day.isoformat()}|{item_id}|{completed_us}".encode()).hexdigest()


async def returned(db: Database, queue: str, day: date) -> Returned:
    """The plan's sample of a drawn (queue, day) — its first `sample_size` drawn items in `plan_order`
    — and how many of those now carry a QA decision in the queue data; a disagreement (QA's decision
    not the labeler's) is a nonconforming item. Items drawn beyond the plan's size (the minimums per
    labeler) are audited too but do not judge the lot: the plan's Ac/Re are for its own sample size."""
    joined = and_(
        Decision.queue == SamplingDrawnItem.queue,
        Decision.item_id == SamplingDrawnItem.item_id,
        Decision.completed_us == SamplingDrawnItem.completed_us,
    )
    query = (
        select(
            SamplingDrawnItem.item_id, SamplingDrawnItem.completed_us, Decision.decision, Decision.qa_decision
        )
        .select_from(SamplingDrawnItem)
        .outerjoin(Decision, joined)
        .where(SamplingDrawnItem.queue == queue, SamplingDrawnItem.day == day)
    )
    async with db.transaction() as session:
        draw = await session.get(SamplingDraw, (queue, day))
        rows = (await session.execute(query)).all()
    if draw is None:
        return Returned(0, 0, 0)
    ranked = sorted(rows, key=lambda r: plan_order(draw.seed, queue, day, r.item_id, r.completed_us))
    plan = ranked[: draw.sample_size]
    audited = [r for r in plan if r.qa_decision]
    nonconforming = sum(1 for r in audited if r.decision != r.qa_decision)
    return Returned(len(plan), len(audited), nonconforming, extra=len(ranked) - len(plan))


def _state(row: SamplingState | None) -> SwitchState | None:
    if row is None:
        return None
    recent = tuple((str(label), bool(accepted)) for label, accepted in json.loads(row.recent))
    return SwitchState(
        inspection=row.inspection,  # type: ignore[arg-type]
        recent=recent,
        score=row.score,
        accepted_run=row.accepted_run,
        not_accepted=row.not_accepted,
    )


async def load_state(db: Database, vendor: str, queue: str) -> SwitchState | None:
    """The stored switching state, or None when no lot has been judged (the configured start holds)."""
    async with db.transaction() as session:
        return _state(await session.get(SamplingState, (vendor, queue)))


async def _put_state(
    session: AsyncSession, vendor: str, queue: str, state: SwitchState, now: datetime
) -> None:
    values = {
        "inspection": state.inspection,
        "score": state.score,
        "recent": json.dumps([list(pair) for pair in state.recent]),
        "accepted_run": state.accepted_run,
        "not_accepted": state.not_accepted,
        "updated_at": now,
    }
    if not await insert_once(
        session, SamplingState, ["vendor", "queue"], vendor=vendor, queue=queue, **values
    ):
        await session.execute(
            update(SamplingState)
            .where(SamplingState.vendor == vendor, SamplingState.queue == queue)
            .values(**values)
        )


async def record_lot(
    db: Database,
    lot: Lot,
    before: SwitchState | None,
    after: SwitchState,
) -> bool:
    """The lot and the state it leads to, once: False (and nothing changed) when the lot was recorded
    before or the state moved on meanwhile (another replica judged it first)."""
    change = json.dumps(asdict(lot.change), sort_keys=True) if lot.change else None
    async with db.transaction() as session:
        current = _state(
            await session.get(SamplingState, (lot.vendor, lot.queue), with_for_update=db.is_postgres)
        )
        if current != before:
            return False
        won = await insert_once(
            session, SamplingLot, ["queue", "day"],
            queue=lot.queue, day=lot.day, vendor=lot.vendor, inspection=lot.inspection, sample=lot.sample,
            audited=lot.audited, nonconforming=lot.nonconforming, accepted=lot.accepted, change=change,
            applied_at=lot.applied_at,
        )  # fmt: skip
        if won:
            await _put_state(session, lot.vendor, lot.queue, after, lot.applied_at)
        return won


async def put_state(db: Database, vendor: str, queue: str, state: SwitchState, now: datetime) -> None:
    """Set the state outright (resuming a discontinued inspection)."""
    async with db.transaction() as session:
        await _put_state(session, vendor, queue, state, now)


def _lot(row: SamplingLot) -> Lot:
    change = Change(**json.loads(row.change)) if row.change else None
    return Lot(
        queue=row.queue, day=row.day, vendor=row.vendor, inspection=row.inspection, sample=row.sample,
        audited=row.audited, nonconforming=row.nonconforming, accepted=row.accepted, change=change,
        applied_at=row.applied_at,
    )  # fmt: skip


async def lots(db: Database, queue: str, since: date | None = None) -> list[Lot]:
    """The queue's judged lots in order of day (from `since`)."""
    query = select(SamplingLot).where(SamplingLot.queue == queue)
    if since is not None:
        query = query.where(SamplingLot.day >= since)
    async with db.transaction() as session:
        return [_lot(row) for row in await session.scalars(query.order_by(SamplingLot.day))]
