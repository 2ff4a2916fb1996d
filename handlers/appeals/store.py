"""Appeals in the database: a labeler's audited disagreements, filing one appeal per decision, and
deciding it once, with the quality correction and the labeler's notice in the same transaction.

Every side effect is keyed by what it means: the appeal by its decision's key (the unique constraint),
the thread and the notices by the appeal's number (durable timers). So a double click, a retried form
or a second replica files once, decides once and tells the labeler once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.workspace import Workspace
from handlers.appeals import window
from handlers.queue_data.corrections import VerdictChange, apply_verdict_change
from handlers.queue_data.labelers import Identity
from storage import claims, queue_data
from storage.engine import Database
from storage.models.appeals import OPEN, OVERTURNED, UPHELD, Appeal
from storage.models.digest import Decision

THREAD_TIMER = "appeals.thread"  # post the review thread, then confirm to the labeler
REMIND_TIMER = "appeals.remind"  # the review is due or late
DECIDED_TIMER = "appeals.decided"  # close the thread and tell the labeler
CORRECT_TIMER = "appeals.correct"  # an overturn's difference into the stored daily figures
OUTCOMES = (UPHELD, OVERTURNED)
MAX_LISTED = 40


@dataclass(frozen=True)
class DecisionKey:
    """A decision's key in the queue data; as a button's value `completed_us|queue|item_id`."""

    completed_us: int
    queue: str
    item_id: str

    @property
    def value(self) -> str:
        return f"{self.completed_us}|{self.queue}|{self.item_id}"

    @classmethod
    def parse(cls, value: str) -> DecisionKey | None:
        """None for anything that is not a key (values come back from the client)."""
        at, _, rest = value.partition("|")
        queue, _, item_id = rest.partition("|")
        if not at.isdigit() or not queue or not item_id or len(at) > 19:
            return None
        return cls(int(at), queue, item_id)


@dataclass(frozen=True)
class Audited:
    """An audited decision whose label QA disagreed with, as audited (appeals never change this copy)."""

    key: DecisionKey
    labeler_id: str
    vendor: str
    site: str
    decision: str | None
    qa_decision: str
    qa_auditor: str | None
    audited_at: datetime
    appeal_id: int | None = None
    status: str | None = None  # of its appeal, if any

    @property
    def completed_at(self) -> datetime:
        return datetime.fromtimestamp(self.key.completed_us / 1_000_000, UTC)


def _audited_query():  # noqa: ANN202 - a SQLAlchemy select of many columns
    on = and_(
        Appeal.completed_us == Decision.completed_us,
        Appeal.queue == Decision.queue,
        Appeal.item_id == Decision.item_id,
    )
    columns = (
        Decision.completed_us, Decision.queue, Decision.item_id, Decision.labeler_id, Decision.vendor,
        Decision.site, Decision.decision, Decision.qa_decision, Decision.qa_auditor, Decision.audited_us,
        Appeal.appeal_id, Appeal.status,
    )  # fmt: skip
    # A decision without the labeler's own label has nothing to appeal: QA's cannot be replaced by it.
    audited = (Decision.qa_decision.is_not(None), Decision.qa_decision != "", Decision.decision.is_not(None))
    disagree = (Decision.decision != "", Decision.decision != Decision.qa_decision)
    return select(*columns).outerjoin(Appeal, on).where(*audited, *disagree, Decision.audited_us.is_not(None))


def _audited_since(since: datetime) -> tuple[ColumnElement[bool], ...]:
    """Audits whose window runs from `since` or later (window.audit_time: stored then, and at most
    LATE_AUDIT after the decision): a range of the (labeler, audit time) index and of the key."""
    since_us = int(since.timestamp() * 1_000_000)
    late_us = int(window.LATE_AUDIT.total_seconds() * 1_000_000)
    # `+ 0`: a filter, not an index range: the (labeler, audit time) index is the narrow one here.
    return Decision.audited_us >= since_us, Decision.completed_us + 0 >= since_us - late_us


def _of(identities: Iterable[Identity]) -> ColumnElement[bool]:
    """Decisions of these (labeler ID, vendor) pairs: one vendor's labeler is never another's."""
    chosen = sorted(identities)
    pairs = or_(*(and_(Decision.labeler_id == lab, Decision.vendor == vendor) for lab, vendor in chosen))
    # The IN first: it is what an index range can use; the pairs then keep each ID to its vendor.
    return and_(Decision.labeler_id.in_(sorted({lab for lab, _ in chosen})), pairs)


def _audited(row: tuple) -> Audited:
    at = window.audit_time(row[9], row[0])
    return Audited(DecisionKey(row[0], row[1], row[2]), *row[3:9], at, row[10], row[11])


async def disagreements(db: Database, identities: set[Identity], since: datetime) -> list[Audited]:
    """These labelers' audited disagreements whose window runs from `since` or later: the ones still
    open to appeal first, the soonest to close first; then those already appealed, newest first."""
    if not identities:
        return []
    query = _audited_query()
    query = query.where(_of(identities), *_audited_since(since))
    appealed = Appeal.appeal_id.is_not(None)
    order = (
        appealed,
        case((appealed, -Decision.audited_us), else_=Decision.audited_us),
        Decision.completed_us,
    )
    async with db.transaction() as session:
        rows = (await session.execute(query.order_by(*order).limit(MAX_LISTED))).all()
    return [_audited(tuple(row)) for row in rows]


async def appeals_of(db: Database, user: str, since: datetime) -> list[Audited]:
    """This person's appeals filed since `since`, newest first, as the audits they dispute (their
    outcome stays visible after the window to appeal has closed)."""
    query = select(Appeal).where(Appeal.user_id == user, Appeal.filed_at >= since)
    async with db.transaction() as session:
        rows = (await session.scalars(query.order_by(Appeal.filed_at.desc()).limit(MAX_LISTED))).all()
    return [
        Audited(
            DecisionKey(a.completed_us, a.queue, a.item_id),
            a.labeler_id,
            a.vendor,
            a.site,
            a.decision,
            a.qa_decision,
            a.qa_auditor,
            a.audited_at,
            a.appeal_id,
            a.status,
        )  # fmt: skip
        for a in rows
    ]


async def appealable_count(db: Database, identities: set[Identity], since: datetime) -> int:
    """How many of these labelers' audited disagreements from `since` on have no appeal yet."""
    if not identities:
        return 0
    query = _audited_query()
    found = query.where(_of(identities), *_audited_since(since), Appeal.appeal_id.is_(None)).subquery()
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(found)) or 0)


async def audited(db: Database, key: DecisionKey) -> Audited | None:
    """One audited disagreement by its key, or None (not stored, not audited, or QA agreed)."""
    query = _audited_query()
    query = query.where(
        Decision.completed_us == key.completed_us,
        Decision.queue == key.queue,
        Decision.item_id == key.item_id,
    )
    async with db.transaction() as session:
        row = (await session.execute(query)).first()
    return _audited(tuple(row)) if row else None


async def get(db: Database, appeal_id: int) -> Appeal | None:
    async with db.transaction() as session:
        return await session.get(Appeal, appeal_id)


async def find(db: Database, key: DecisionKey) -> Appeal | None:
    async with db.transaction() as session:
        return await _by_key(session, key)


async def _by_key(session: AsyncSession, key: DecisionKey) -> Appeal | None:
    query = select(Appeal).where(
        Appeal.completed_us == key.completed_us, Appeal.queue == key.queue, Appeal.item_id == key.item_id
    )
    return (await session.scalars(query)).first()


@dataclass(frozen=True)
class Filing:
    user: str
    reason: str
    policy_section: str


async def file(
    db: Database, workspace: Workspace, item: Audited, filing: Filing, now: datetime
) -> tuple[Appeal, bool]:
    """The appeal on `item`, once: (the appeal, whether this call filed it). The thread and the first
    reminder are durable timers made in the same transaction, so a crash after it loses neither."""
    settings = workspace.appeals
    assert settings is not None
    due = window.due_on(now, settings, workspace.tz)
    async with db.transaction() as session:
        won = await claims.insert_once(
            session, Appeal, ["completed_us", "queue", "item_id"],
            completed_us=item.key.completed_us, queue=item.key.queue, item_id=item.key.item_id,
            labeler_id=item.labeler_id, vendor=item.vendor, site=item.site, decision=item.decision,
            qa_decision=item.qa_decision, qa_auditor=item.qa_auditor, audited_at=item.audited_at,
            user_id=filing.user, reason=filing.reason, policy_section=filing.policy_section,
            filed_at=now, due_at=window.due_at(now, settings, workspace.tz), status=OPEN,
        )  # fmt: skip
        appeal = await _by_key(session, item.key)
        assert appeal is not None
        if won:
            number = appeal.appeal_id
            payload = {"appeal": number}
            await claims.schedule_in(session, f"appeal-thread:{number}", THREAD_TIMER, now, now, payload)
            first = window.reminder_at(due, 0, settings, workspace.tz)
            await claims.schedule_in(
                session, f"appeal-remind:{number}:0", REMIND_TIMER, first, now, {**payload, "step": 0}
            )
    return appeal, won


async def record_thread(db: Database, appeal_id: int, channel: str, ts: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Appeal).where(Appeal.appeal_id == appeal_id).values(thread_channel=channel, thread_ts=ts)
        )


@dataclass(frozen=True)
class Ruling:
    outcome: str  # upheld or overturned
    reviewer: str
    note: str
    label: str | None = None  # on overturn: the right label (default: the labeler's)


async def decide(db: Database, appeal_id: int, ruling: Ruling, now: datetime) -> tuple[Appeal | None, bool]:
    """Uphold or overturn an open appeal: (the appeal as it now stands, whether this call decided it).

    The status moves from open once (a conditional update); only the call that moved it makes the
    notice and, on overturn, the correction of the daily figures due, in the same transaction. The
    correction runs as its own timer (`correct`): it waits for the day's ingest lock, which a form
    submission must not (Slack closes a form after 3 seconds)."""
    if ruling.outcome not in OUTCOMES:
        raise ValueError(f"an appeal is upheld or overturned, not {ruling.outcome!r}")
    async with db.transaction() as session:
        appeal = await session.get(Appeal, appeal_id)
        if appeal is None:
            return None, False
        final = (ruling.label or appeal.decision) if ruling.outcome == OVERTURNED else None
        values = {"status": ruling.outcome, "reviewer": ruling.reviewer, "note": ruling.note,
                  "decided_at": now, "final_label": final}  # fmt: skip
        moved = await session.execute(
            update(Appeal).where(Appeal.appeal_id == appeal_id, Appeal.status == OPEN).values(**values)
        )
        won = moved.rowcount == 1
        if won:
            payload = {"appeal": appeal_id}
            await claims.schedule_in(session, f"appeal-decided:{appeal_id}", DECIDED_TIMER, now, now, payload)
            if ruling.outcome == OVERTURNED:
                await claims.schedule_in(
                    session, f"appeal-correct:{appeal_id}", CORRECT_TIMER, now, now, payload
                )
        await session.refresh(appeal)
    return appeal, won


async def correct(db: Database, workspace: Workspace, appeal_id: int, now: datetime) -> bool:
    """An overturn's difference taken into the stored daily figures, once: the appeal is marked
    corrected in the same transaction, so a retry after a crash finds it done."""
    async with db.transaction() as session:
        appeal = await session.get(Appeal, appeal_id)
        if appeal is None:
            return False
        # The day's lock first (as an ingest takes it), then the mark: the two never wait on each other.
        await queue_data.lock_days(session, appeal.completed_us, appeal.completed_us)
        marked = await session.execute(
            update(Appeal)
            .where(Appeal.appeal_id == appeal_id, Appeal.status == OVERTURNED, Appeal.corrected_at.is_(None))
            .values(corrected_at=now)
        )
        if marked.rowcount != 1:
            return False
        await session.refresh(appeal)
        assert appeal.final_label is not None
        change = VerdictChange(
            appeal.completed_us, appeal.queue, appeal.item_id, appeal.labeler_id, appeal.vendor,
            appeal.site, appeal.decision, was=appeal.qa_decision, now=appeal.final_label,
        )  # fmt: skip
        await apply_verdict_change(session, workspace, change)
    return True


async def open_count(db: Database, vendors: frozenset[str] | None = None) -> int:
    query = select(func.count()).select_from(Appeal).where(Appeal.status == OPEN)
    if vendors is not None:
        query = query.where(Appeal.vendor.in_(sorted(vendors)))
    async with db.transaction() as session:
        return int(await session.scalar(query) or 0)
