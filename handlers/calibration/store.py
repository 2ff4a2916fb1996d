"""Calibration rows: a session is created with its items, participants and timers in one transaction
claimed under what was submitted (the opened form), and every vote is checked and stored in one
transaction that reads the session's status, so nothing is recorded after the reveal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.calibration.items import ItemDraft, from_json, to_json
from storage import claims
from storage.engine import Database
from storage.models import (
    CalibrationDraft,
    CalibrationItem,
    CalibrationParticipant,
    CalibrationResult,
    CalibrationSession,
    CalibrationVote,
    Claim,
)

OPEN, REVEALED = "open", "revealed"

Timer = tuple[str, str, datetime, dict[str, Any]]  # key, kind, due, payload
Outcome = Literal[
    "recorded", "changed", "same", "unknown", "not_invited", "revealed", "bad_item", "bad_label"
]


@dataclass(frozen=True)
class SessionDraft:
    """A checked `/calibrate new` form: the queue's vendor and labels come from the workspace file."""

    title: str
    queue: str
    vendor: str
    labels: tuple[str, ...]
    facilitator: str
    channel: str
    due_at: datetime
    threshold: float
    items: tuple[ItemDraft, ...]
    participants: tuple[str, ...]


@dataclass(frozen=True)
class Voted:
    """What a click did: `finished_now` when this vote was the participant's last unrated item."""

    outcome: Outcome
    session: CalibrationSession | None = None
    finished_now: bool = False


def labels_of(row: CalibrationSession) -> list[str]:
    return list(json.loads(row.labels))


async def create(
    db: Database,
    key: str,
    draft: SessionDraft,
    now: datetime,
    timers: Callable[[CalibrationSession], list[Timer]],
) -> tuple[CalibrationSession, bool]:
    """The session under `key`, and whether this call made it (a double submit finds the first)."""
    async with db.transaction() as session:
        # The claim first: a second replica taking the same form waits on it, then finds the row.
        if not await claims.claim_in(session, key, "calibration", now):
            query = select(CalibrationSession).where(CalibrationSession.opened_key == key)
            found = (await session.scalars(query)).first()
            if found is None:
                raise RuntimeError(f"{key} was claimed but holds no session")
            return found, False
        row = CalibrationSession(
            opened_key=key,
            title=draft.title,
            queue=draft.queue,
            vendor=draft.vendor,
            labels=json.dumps(list(draft.labels)),
            facilitator=draft.facilitator,
            channel=draft.channel,
            due_at=draft.due_at,
            threshold=draft.threshold,
            status=OPEN,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        for position, item in enumerate(draft.items, start=1):
            session.add(
                CalibrationItem(
                    session_id=row.session_id,
                    position=position,
                    item_id=item.item_id,
                    link=item.link,
                    note=item.note,
                    reference=item.reference,
                )
            )
        for person in draft.participants:
            session.add(CalibrationParticipant(session_id=row.session_id, user_id=person))
        await session.flush()
        for key_, kind, due, payload in timers(row):
            await claims.schedule_in(session, key_, kind, due, now, payload)
        return row, True


async def save_draft(
    db: Database, user: str, file_name: str, items: Sequence[ItemDraft], now: datetime
) -> int:
    """Items read from `user`'s uploaded file, kept for their form; the draft's id."""
    async with db.transaction() as session:
        row = CalibrationDraft(
            user_id=user, file_name=file_name[:255], items=json.dumps(to_json(items)), created_at=now
        )
        session.add(row)
        await session.flush()
        return row.draft_id


async def draft_of(db: Database, draft_id: int, user: str) -> tuple[str, tuple[ItemDraft, ...]] | None:
    """The file name and items of `user`'s own draft; None when there is none or it is someone else's
    (a form's state comes back from the client, so its draft id is never trusted alone)."""
    async with db.transaction() as session:
        row = await session.get(CalibrationDraft, draft_id)
        if row is None or row.user_id != user:
            return None
        return row.file_name, from_json(json.loads(row.items))


async def forget_drafts_before(db: Database, cutoff: datetime) -> int:
    """Uploaded items nobody made a session of by `cutoff` go (a draft is for the form right after)."""
    async with db.transaction() as session:
        gone = await session.execute(delete(CalibrationDraft).where(CalibrationDraft.created_at < cutoff))
    return gone.rowcount or 0


async def get(db: Database, session_id: int) -> CalibrationSession | None:
    async with db.transaction() as session:
        return await session.get(CalibrationSession, session_id)


async def items(db: Database, session_id: int) -> list[CalibrationItem]:
    async with db.transaction() as session:
        query = select(CalibrationItem).where(CalibrationItem.session_id == session_id)
        return list((await session.scalars(query.order_by(CalibrationItem.position))).all())


async def participants(db: Database, session_id: int) -> list[CalibrationParticipant]:
    async with db.transaction() as session:
        query = select(CalibrationParticipant).where(CalibrationParticipant.session_id == session_id)
        return list((await session.scalars(query.order_by(CalibrationParticipant.user_id))).all())


async def participant(db: Database, session_id: int, user: str) -> CalibrationParticipant | None:
    async with db.transaction() as session:
        return await session.get(CalibrationParticipant, (session_id, user))


async def votes(db: Database, session_id: int, user: str | None = None) -> list[CalibrationVote]:
    """A session's votes (one person's with `user`); only the reveal and the voter read them."""
    query = select(CalibrationVote).where(CalibrationVote.session_id == session_id)
    if user is not None:
        query = query.where(CalibrationVote.user_id == user)
    async with db.transaction() as session:
        return list((await session.scalars(query.order_by(CalibrationVote.position))).all())


async def rated_counts(db: Database, session_id: int) -> dict[str, int]:
    """How many items each participant has rated: progress, never what they chose."""
    query = (
        select(CalibrationVote.user_id, func.count())
        .where(CalibrationVote.session_id == session_id)
        .group_by(CalibrationVote.user_id)
    )
    async with db.transaction() as session:
        return {user: int(n) for user, n in (await session.execute(query)).all()}


async def _open_for_vote(session: AsyncSession, session_id: int) -> CalibrationSession | None:
    """The session row, share-locked on PostgreSQL: a reveal (an update of the row) waits for votes in
    flight, and a vote after it sees the session revealed."""
    query = select(CalibrationSession).where(CalibrationSession.session_id == session_id)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return (await session.scalars(query)).first()


async def _member_locked(session: AsyncSession, session_id: int, user: str) -> CalibrationParticipant | None:
    """The participant's row, locked on PostgreSQL until the vote commits: their votes on two replicas
    take turns, so the later one counts the earlier and "finished" is decided once, by the last."""
    query = select(CalibrationParticipant).where(
        CalibrationParticipant.session_id == session_id, CalibrationParticipant.user_id == user
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def vote(
    db: Database, session_id: int, position: int, user: str, label: str, reason: str | None, now: datetime
) -> Voted:
    """One participant's label for one item: recorded once (a double click finds it the same), replaced
    when it differs (a changed label drops the old reason); refused after the reveal."""
    async with db.transaction() as session:
        row = await _open_for_vote(session, session_id)
        if row is None:
            return Voted("unknown")
        if row.status != OPEN:
            return Voted("revealed", row)
        member = await _member_locked(session, session_id, user)
        if member is None:
            return Voted("not_invited", row)
        if await session.get(CalibrationItem, (session_id, position)) is None:
            return Voted("bad_item", row)
        if label not in labels_of(row):
            return Voted("bad_label", row)
        values = {"session_id": session_id, "position": position, "user_id": user}
        if await claims.insert_once(
            session, CalibrationVote, list(values), **values, label=label, reason=reason, voted_at=now
        ):
            outcome: Outcome = "recorded"
        else:
            before = await session.get(CalibrationVote, (session_id, position, user))
            assert before is not None  # the insert met it
            if before.label == label and (reason is None or reason == before.reason):
                return Voted("same", row)
            before.reason = reason  # a changed label without a reason drops the old label's reason
            before.label, before.voted_at = label, now
            outcome = "changed"
        finished = False
        if member.finished_at is None:
            total = await session.scalar(select(func.count()).where(CalibrationItem.session_id == session_id))
            rated = await session.scalar(
                select(func.count()).where(
                    CalibrationVote.session_id == session_id, CalibrationVote.user_id == user
                )
            )
            if rated == total:
                done = await session.execute(
                    update(CalibrationParticipant)
                    .where(
                        CalibrationParticipant.session_id == session_id,
                        CalibrationParticipant.user_id == user,
                        CalibrationParticipant.finished_at.is_(None),
                    )
                    .values(finished_at=now)
                )
                finished = done.rowcount == 1
        return Voted(outcome, row, finished)


async def record_ballot(db: Database, session_id: int, user: str, channel: str, ts: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(CalibrationParticipant)
            .where(CalibrationParticipant.session_id == session_id, CalibrationParticipant.user_id == user)
            .values(dm_channel=channel, dm_ts=ts)
        )


async def record_progress(db: Database, session_id: int, channel: str, ts: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(CalibrationSession)
            .where(CalibrationSession.session_id == session_id)
            .values(progress_channel=channel, progress_ts=ts)
        )


async def record_reveal_post(db: Database, session_id: int, ts: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(CalibrationSession).where(CalibrationSession.session_id == session_id).values(reveal_ts=ts)
        )


async def reveal(
    db: Database, session_id: int, now: datetime, by: str | None
) -> tuple[CalibrationSession | None, bool]:
    """Freeze the votes: the session as it stands, and whether this call revealed it (once, whoever
    asks first: the button, the due timer, a second replica)."""
    async with db.transaction() as session:
        flipped = await session.execute(
            update(CalibrationSession)
            .where(CalibrationSession.session_id == session_id, CalibrationSession.status == OPEN)
            .values(status=REVEALED, revealed_at=now, revealed_by=by)
        )
    return await get(db, session_id), flipped.rowcount == 1


async def post_attempts(db: Database, prefix: str) -> int:
    """How many "Post the results again" timers a session has had (their keys share `prefix`)."""
    query = select(func.count()).select_from(Claim).where(Claim.key.startswith(prefix, autoescape=True))
    async with db.transaction() as session:
        return int(await session.scalar(query) or 0)


async def keep_result(db: Database, result: CalibrationResult) -> None:
    """The session's figures for the trend, once (a retried reveal keeps the first)."""
    values = {c.name: getattr(result, c.name) for c in CalibrationResult.__table__.columns}
    async with db.transaction() as session:
        await claims.insert_once(session, CalibrationResult, ["session_id"], **values)


def visible_to(user: str, everything: bool, vendors: Sequence[str]) -> ColumnElement[bool]:
    """The sessions a person may see: all for admins and trainers; else those they run or rate, and
    their vendors' for vendor leads."""
    if everything:
        return CalibrationSession.session_id.is_not(None)
    rated = select(CalibrationParticipant.session_id).where(CalibrationParticipant.user_id == user)
    return or_(
        CalibrationSession.facilitator == user,
        CalibrationSession.session_id.in_(rated),
        CalibrationSession.vendor.in_(list(vendors)),
    )


async def listing(db: Database, where: ColumnElement[bool], since: datetime, limit: int = 20) -> list[Any]:
    """Open sessions and those revealed since `since`, newest first."""
    query = (
        select(CalibrationSession)
        .where(where, or_(CalibrationSession.status == OPEN, CalibrationSession.revealed_at >= since))
        .order_by(CalibrationSession.session_id.desc())
        .limit(limit)
    )
    async with db.transaction() as session:
        return list((await session.scalars(query)).all())


async def results(db: Database, vendors: Sequence[str] | None = None) -> list[tuple[CalibrationResult, str]]:
    """Kept results with their session's title, oldest first; `vendors` narrows to those vendors."""
    query = select(CalibrationResult, CalibrationSession.title).join(
        CalibrationSession, CalibrationSession.session_id == CalibrationResult.session_id
    )
    if vendors is not None:
        query = query.where(CalibrationResult.vendor.in_(list(vendors)))
    query = query.order_by(CalibrationResult.revealed_at, CalibrationResult.session_id)
    async with db.transaction() as session:
        return [(result, title) for result, title in (await session.execute(query)).all()]


async def latest_revealed(db: Database, queue: str) -> CalibrationSession | None:
    """The queue's most recently revealed session (what the quality report asks about its auditors)."""
    query = (
        select(CalibrationSession)
        .where(CalibrationSession.queue == queue, CalibrationSession.revealed_at.is_not(None))
        .order_by(CalibrationSession.revealed_at.desc())
        .limit(1)
    )
    async with db.transaction() as session:
        return (await session.scalars(query)).first()
