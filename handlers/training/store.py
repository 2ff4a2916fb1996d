"""Cohorts in the database: made once per meaning, read as plain `Cohort`s, sessions moved, attendance.

Every write that has timers (reminders, checks, rolls, notices) schedules them in its own transaction
(`lifecycle`), so a cohort is never stored without its reminders, nor a move without its notice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.training.cohort import CheckResult, Cohort, Member
from handlers.training.plan import Plan
from handlers.training.schedule import Session
from storage.claims import insert_once
from storage.engine import Database
from storage.models import (
    QuizAttempt,
    TrainingCohort,
    TrainingMember,
    TrainingSession,
)

ZoneOf = Callable[[str], ZoneInfo]  # a site's zone by its id: stored times are read in it


@dataclass(frozen=True)
class CohortDraft:
    """What a checked form or file row makes: everything a cohort row and its sessions need."""

    name: str
    vendor: str
    site: str
    queues: tuple[str, ...]
    plan_name: str
    plan: Plan
    start: date
    target: date
    channel: str | None
    created_by: str
    sessions: tuple[Session, ...]
    members: tuple[Member, ...]


class NameTaken(Exception):
    """Another cohort (made by other means) already has this name."""


async def insert(session: AsyncSession, key: str, draft: CohortDraft, now: datetime) -> int | None:
    """The cohort, its sessions and members, in the caller's transaction; None when `key` made one
    before (a double submit, the same file twice). Raises NameTaken for a name another cohort holds."""
    if await session.scalar(select(TrainingCohort.cohort_id).where(TrainingCohort.created_key == key)):
        return None
    if await session.scalar(select(TrainingCohort.cohort_id).where(TrainingCohort.name == draft.name)):
        raise NameTaken(draft.name)
    won = await insert_once(
        session,
        TrainingCohort,
        ["created_key"],
        name=draft.name,
        created_key=key,
        vendor=draft.vendor,
        site=draft.site,
        queues=json.dumps(list(draft.queues)),
        plan_name=draft.plan_name,
        plan=draft.plan.model_dump_json(),
        start=draft.start,
        target=draft.target,
        channel=draft.channel,
        created_by=draft.created_by,
        created_at=now,
        status="active",
        moves=0,
    )
    if not won:  # another replica's submit of the same form got there between the look and the insert
        return None
    cohort_id = await session.scalar(
        select(TrainingCohort.cohort_id).where(TrainingCohort.created_key == key)
    )
    assert cohort_id is not None
    session.add_all(
        TrainingSession(
            cohort_id=cohort_id,
            session_id=s.id,
            position=position,
            module_id=s.module_id,
            occurrence=s.occurrence,
            parts=s.parts,
            title=s.title[:200],
            kind=s.kind,
            start_at=s.start,
            end_at=s.end,
            sequence=s.sequence,
        )
        for position, s in enumerate(draft.sessions)
    )
    session.add_all(
        TrainingMember(
            cohort_id=cohort_id, user_id=m.user_id, role=m.role, labeler_id=m.labeler_id, added_at=now
        )
        for m in draft.members
    )
    await session.flush()
    return cohort_id


def _cohort(
    row: TrainingCohort, sessions: Sequence[TrainingSession], members: Iterable[TrainingMember], tz: ZoneInfo
) -> Cohort:
    return Cohort(
        id=row.cohort_id,
        name=row.name,
        vendor=row.vendor,
        site=row.site,
        queues=tuple(json.loads(row.queues)),
        plan=Plan.model_validate_json(row.plan),
        start=row.start,
        target=row.target,
        channel=row.channel,
        created_by=row.created_by,
        status=row.status,
        sessions=tuple(
            Session(
                id=s.session_id,
                module_id=s.module_id,
                occurrence=s.occurrence,
                parts=s.parts,
                title=s.title,
                kind=s.kind,  # type: ignore[arg-type]
                start=s.start_at.astimezone(tz),
                end=s.end_at.astimezone(tz),
                sequence=s.sequence,
            )
            for s in sessions
        ),
        members=tuple(
            Member(m.user_id, m.role, m.labeler_id)  # type: ignore[arg-type]
            for m in sorted(members, key=lambda m: (m.role != "trainer", m.user_id))
        ),
        moves=row.moves,
        calendar_id=f"{row.cohort_id}-{hashlib.sha256(row.created_key.encode()).hexdigest()[:10]}",
    )


async def read(session: AsyncSession, cohort_id: int, zone_of: ZoneOf) -> Cohort | None:
    row = await session.get(TrainingCohort, cohort_id)
    if row is None:
        return None
    sessions = (
        await session.scalars(
            select(TrainingSession)
            .where(TrainingSession.cohort_id == cohort_id)
            .order_by(TrainingSession.position)
        )
    ).all()
    members = (
        await session.scalars(select(TrainingMember).where(TrainingMember.cohort_id == cohort_id))
    ).all()
    return _cohort(row, sessions, members, zone_of(row.site))


async def load(db: Database, cohort_id: int, zone_of: ZoneOf) -> Cohort | None:
    async with db.transaction() as session:
        return await read(session, cohort_id, zone_of)


async def find(db: Database, name: str, zone_of: ZoneOf) -> Cohort | None:
    """A cohort by its name (case-insensitive), else by its number."""
    async with db.transaction() as session:
        cohort_id = await session.scalar(
            select(TrainingCohort.cohort_id).where(func.lower(TrainingCohort.name) == name.lower())
        )
        if cohort_id is None and name.isdigit():
            cohort_id = await session.scalar(
                select(TrainingCohort.cohort_id).where(TrainingCohort.cohort_id == int(name))
            )
        return None if cohort_id is None else await read(session, cohort_id, zone_of)


@dataclass(frozen=True)
class Listed:
    id: int
    name: str
    vendor: str
    site: str
    start: date
    target: date
    status: str
    labelers: int


async def listing(
    db: Database, vendors: Sequence[str] | None = None, member: str | None = None, *, active_only: bool = True
) -> list[Listed]:
    """Cohorts newest start first; with `vendors` or `member`, only those vendors' cohorts and the ones
    `member` is in (a vendor lead's, a labeler's view)."""
    labelers = (
        select(TrainingMember.cohort_id, func.count().label("n"))
        .where(TrainingMember.role == "labeler")
        .group_by(TrainingMember.cohort_id)
        .subquery()
    )
    query = select(TrainingCohort, func.coalesce(labelers.c.n, 0)).outerjoin(
        labelers, labelers.c.cohort_id == TrainingCohort.cohort_id
    )
    if active_only:
        query = query.where(TrainingCohort.status == "active")
    if vendors is not None or member is not None:
        mine = select(TrainingMember.cohort_id).where(TrainingMember.user_id == (member or ""))
        query = query.where(
            or_(TrainingCohort.vendor.in_(list(vendors or [])), TrainingCohort.cohort_id.in_(mine))
        )
    async with db.transaction() as session:
        rows = (await session.execute(query.order_by(TrainingCohort.start.desc()))).all()
    return [Listed(c.cohort_id, c.name, c.vendor, c.site, c.start, c.target, c.status, n) for c, n in rows]


async def close(db: Database, cohort_id: int) -> bool:
    """The cohort closed: its timers say nothing more and it leaves the lists; False if it was already."""
    async with db.transaction() as session:
        done = await session.execute(
            update(TrainingCohort)
            .where(TrainingCohort.cohort_id == cohort_id, TrainingCohort.status == "active")
            .values(status="closed")
        )
    return done.rowcount == 1


# ----- members -----


async def set_labeler_ids(db: Database, cohort_id: int, ids: dict[str, str]) -> list[str]:
    """Labeler IDs for cohort members; returns the users named who are not labelers in this cohort."""
    async with db.transaction() as session:
        labelers = {
            m.user_id: m
            for m in await session.scalars(
                select(TrainingMember).where(
                    TrainingMember.cohort_id == cohort_id, TrainingMember.role == "labeler"
                )
            )
        }
        unknown = sorted(u for u in ids if u not in labelers)
        if unknown:
            return unknown
        for user_id, labeler_id in ids.items():
            labelers[user_id].labeler_id = labeler_id
    return []


async def roster_labeler_ids(db: Database, users: Iterable[str]) -> dict[str, str]:
    """Labeler IDs the quiz roster already knows (`tsqa quiz roster import`), for members without one."""
    from storage.models.quiz import QuizRosterEntry

    wanted = list(users)
    if not wanted:
        return {}
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(QuizRosterEntry.user_id, QuizRosterEntry.labeler_id).where(
                    QuizRosterEntry.user_id.in_(wanted), QuizRosterEntry.labeler_id.is_not(None)
                )
            )
        ).all()
    return {user: labeler for user, labeler in rows if labeler}


async def held_names(db: Database, wanted: dict[str, str]) -> dict[str, str]:
    """Of the names wanted (lower-case name → the key that would make it), those a cohort made some
    other way already holds: name → that cohort's name as written."""
    if not wanted:
        return {}
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(TrainingCohort.name, TrainingCohort.created_key).where(
                    func.lower(TrainingCohort.name).in_(list(wanted))
                )
            )
        ).all()
    return {name.lower(): name for name, key in rows if wanted.get(name.lower()) != key}


async def trains_any(db: Database, user_id: str) -> bool:
    """Whether this person trains an active cohort (they may send rosters for it)."""
    async with db.transaction() as session:
        found = await session.scalar(
            select(TrainingMember.cohort_id)
            .join(TrainingCohort, TrainingCohort.cohort_id == TrainingMember.cohort_id)
            .where(
                TrainingMember.user_id == user_id,
                TrainingMember.role == "trainer",
                TrainingCohort.status == "active",
            )
            .limit(1)
        )
    return found is not None


async def cohort_of_labelers(db: Database, users: list[str]) -> int | str:
    """The one active cohort all these people are labelers in, or what is wrong (plain text)."""
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(TrainingMember.user_id, TrainingMember.cohort_id)
                .join(TrainingCohort, TrainingCohort.cohort_id == TrainingMember.cohort_id)
                .where(
                    TrainingMember.user_id.in_(users),
                    TrainingMember.role == "labeler",
                    TrainingCohort.status == "active",
                )
            )
        ).all()
    cohorts = {cohort for _, cohort in rows}
    missing = sorted(set(users) - {user for user, _ in rows})
    if missing:
        return (
            f"{', '.join(missing[:5])} {'is' if len(missing) == 1 else 'are'} in no active cohort as labelers"
        )
    if len(cohorts) != 1:
        return "these labelers are in more than one active cohort: send one file per cohort"
    return cohorts.pop()


# ----- knowledge checks -----


async def check_results(db: Database, cohort: Cohort) -> list[CheckResult]:
    """Each labeler's finished quiz attempts on the plan's knowledge-check topics (since the cohort began)."""
    topics = [m.quiz for m in cohort.plan.modules if m.kind == "knowledge_check" and m.quiz]
    users = [m.user_id for m in cohort.labelers]
    if not topics or not users or not cohort.sessions:
        return []
    # Tries made before the cohort began (an earlier class, a practice run) do not count.
    began = datetime.combine(cohort.start, time(), cohort.sessions[0].start.tzinfo)
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(
                    QuizAttempt.topic_id,
                    QuizAttempt.user_id,
                    QuizAttempt.credit,
                    QuizAttempt.finished_at,
                    QuizAttempt.passed,
                ).where(
                    QuizAttempt.topic_id.in_(topics),
                    QuizAttempt.user_id.in_(users),
                    QuizAttempt.kind == "quiz",
                    QuizAttempt.finished_at >= began,
                )
            )
        ).all()
    best: dict[tuple[str, str], tuple[float | None, datetime, bool]] = {}
    for topic, user, credit, finished_at, passed in rows:
        score, at, ever = best.get((topic, user), (None, finished_at, False))
        if credit is not None and (score is None or credit > score):
            score = credit
        if passed and not ever:  # the day it was first passed is when the check was met
            at = finished_at
        elif not ever:
            at = max(at, finished_at)
        elif passed:
            at = min(at, finished_at)
        best[(topic, user)] = (score, at, ever or bool(passed))
    found = best
    results = []
    for topic in topics:
        for user in users:
            score, at, passed = found.get((topic, user), (None, None, False))
            results.append(CheckResult(topic, user, (topic, user) in found, passed, score, at))
    return results
