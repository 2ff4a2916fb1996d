"""Attendance: a labeler's check-in, stored once however often the button is pressed, and a trainer's
mark (present, absent, excused), which replaces whatever was stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.training.cohort import Mark, MarkStatus
from storage.claims import insert_once
from storage.engine import Database
from storage.models import TrainingAttendance


async def marks(db: Database, cohort_id: int) -> list[Mark]:
    async with db.transaction() as session:
        rows = (
            await session.scalars(select(TrainingAttendance).where(TrainingAttendance.cohort_id == cohort_id))
        ).all()
    return [Mark(r.session_id, r.user_id, r.status, r.marked_at, r.marked_by) for r in rows]  # type: ignore[arg-type]


async def of_session(db: Database, cohort_id: int, session_id: str) -> dict[str, Mark]:
    """Each person's mark for one session, by user: what a roll call shows."""
    return {m.user_id: m for m in await marks(db, cohort_id) if m.session_id == session_id}


async def _insert_mark(
    session: AsyncSession, key: tuple[int, str, str], status: MarkStatus, by: str, now: datetime
) -> bool:
    """The person's attendance row unless they have one; True when this call stored it."""
    cohort_id, session_id, user_id = key
    return await insert_once(
        session, TrainingAttendance, ["cohort_id", "session_id", "user_id"],
        cohort_id=cohort_id, session_id=session_id, user_id=user_id, status=status, marked_by=by,
        marked_at=now, note=None,
    )  # fmt: skip


async def check_in(
    db: Database, cohort_id: int, session_id: str, user_id: str, now: datetime
) -> tuple[Mark, bool]:
    """The person's check-in, recorded once: True when this call recorded it; a second click (or a
    trainer's mark made first) gets what is stored."""
    key = (cohort_id, session_id, user_id)
    async with db.transaction() as session:
        inserted = await _insert_mark(session, key, "present", user_id, now)
        row = await session.get(TrainingAttendance, key)
        assert row is not None
        mark = Mark(row.session_id, row.user_id, row.status, row.marked_at, row.marked_by)  # type: ignore[arg-type]
        return mark, inserted


async def mark(
    db: Database, cohort_id: int, session_id: str, user_id: str, status: MarkStatus, by: str, now: datetime
) -> bool:
    """A trainer's mark replaces what is stored; False when it already said the same (a double click)."""
    async with db.transaction() as session:
        if await _insert_mark(session, (cohort_id, session_id, user_id), status, by, now):
            return True
        changed = await session.execute(
            update(TrainingAttendance)
            .where(
                TrainingAttendance.cohort_id == cohort_id,
                TrainingAttendance.session_id == session_id,
                TrainingAttendance.user_id == user_id,
                TrainingAttendance.status != status,
            )
            .values(status=status, marked_by=by, marked_at=now)
        )
        return changed.rowcount == 1
