"""A cohort's life: made with every timer it needs, sessions moved with their timers and one notice.

Timers are keyed by what they mean and by the session's `sequence`, so a moved session gets fresh
reminders while the old ones, when they fire, see the sequence has moved on and say nothing:

  training-welcome:{cohort}                       the channel's summary and each member's first DM
  training-remind:{cohort}:{session}:{seq}:{lead} a reminder `lead` minutes before the session
  training-check:{cohort}:{session}:{seq}         a knowledge check's quiz assigned when it is due
  training-roll:{cohort}:{session}:{seq}          the trainers' roll call when a session ends
  training-moved:{cohort}:{move}                  one notice per person for one move
  training-summary:{cohort}:{day}                 the weekly summary, which schedules the next
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Services
from bot.workspace import Workspace
from bot.workspace_training import WEEKDAYS, Site
from handlers.training import store
from handlers.training.cohort import Cohort
from handlers.training.schedule import Layout, Session, next_working_day
from storage.claims import claim_in, schedule_in
from storage.engine import Database
from storage.models import TrainingAttendance, TrainingCohort, TrainingSession

REMIND = "training.remind"
CHECK = "training.check"
ROLL = "training.roll"
MOVED = "training.moved"
WELCOME = "training.welcome"
SUMMARY = "training.summary"
SUMMARY_AFTER_GO_LIVE = timedelta(days=7)  # one last summary after the target or scheduled go-live


def summaries_end(cohort: Cohort, site: Site) -> date:
    """The last day a weekly summary goes out: a week after the target or the go-live the schedule
    gives, whichever is later. Labelers still not ready then are a matter for the trainers (the status
    says who), not for a summary every Monday for ever."""
    return max(cohort.target, next_working_day(site, cohort.sessions[-1].day)) + SUMMARY_AFTER_GO_LIVE


def reminded(session: Session) -> bool:
    """Nesting runs for days on the live queue: only its first day is worth a reminder."""
    return session.kind != "nesting" or session.occurrence == 1


async def _session_timers(
    db_session: AsyncSession,
    cohort_id: int,
    session: Session,
    attended: bool,
    leads: list[int],
    now: datetime,
) -> None:
    """The reminders, the check and the roll call of one session at its current sequence."""
    base = {"cohort": cohort_id, "session": session.id, "sequence": session.sequence}
    if reminded(session):
        for lead in leads:
            due = session.start - timedelta(minutes=lead)
            if due > now:  # a reminder whose time has gone would arrive after the fact
                key = f"training-remind:{cohort_id}:{session.id}:{session.sequence}:{lead}"
                payload = {**base, "lead": lead, "until": session.end.isoformat()}
                await schedule_in(db_session, key, REMIND, due, now, payload)
    if session.kind == "knowledge_check" and not attended:
        key = f"training-check:{cohort_id}:{session.id}:{session.sequence}"
        await schedule_in(db_session, key, CHECK, max(session.start, now), now, base)
    if attended and session.end > now:
        key = f"training-roll:{cohort_id}:{session.id}:{session.sequence}"
        await schedule_in(db_session, key, ROLL, session.end, now, base)


def next_summary(workspace: Workspace, after: datetime) -> datetime:
    """The next weekly summary time after `after`, on the configured weekday and time, workspace zone."""
    settings = workspace.training
    local = after.astimezone(workspace.tz)
    at = time.fromisoformat(settings.summary_time)
    weekday = WEEKDAYS.index(settings.summary_day)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    moment = datetime.combine(day, at, workspace.tz)
    return moment if moment > after else moment + timedelta(days=7)


async def schedule_summary(
    db_session: AsyncSession, workspace: Workspace, cohort_id: int, after: datetime, now: datetime
) -> None:
    due = next_summary(workspace, after)
    day = due.astimezone(workspace.tz).date().isoformat()
    await schedule_in(
        db_session, f"training-summary:{cohort_id}:{day}", SUMMARY, due, now, {"cohort": cohort_id}
    )


@dataclass(frozen=True)
class Created:
    cohort_id: int | None  # None: this key made a cohort before (a double submit, the same file twice)


async def _create_in(
    db_session: AsyncSession,
    workspace: Workspace,
    key: str,
    draft: store.CohortDraft,
    now: datetime,
    notes: Sequence[str] = (),
) -> Created:
    """The cohort, its sessions, members and every timer, in the caller's transaction under `key`. Its
    welcome (the post with `notes` where it was made, each member's DM) is a timer too, so a restart
    never loses it."""
    cohort_id = await store.insert(db_session, key, draft, now)
    if cohort_id is None:
        return Created(None)
    shape = _shape(draft)
    leads = list(workspace.training.reminders)
    for session in draft.sessions:
        await _session_timers(db_session, cohort_id, session, shape.attended(session), leads, now)
    payload = {"cohort": cohort_id, "notes": list(notes)}
    await schedule_in(db_session, f"training-welcome:{cohort_id}", WELCOME, now, now, payload)
    await schedule_summary(db_session, workspace, cohort_id, now, now)
    return Created(cohort_id)


def _shape(draft: store.CohortDraft) -> Cohort:
    """The draft as a cohort, for the questions a cohort answers (which sessions are attended)."""
    return Cohort(
        id=0, name=draft.name, vendor=draft.vendor, site=draft.site, queues=draft.queues, plan=draft.plan,
        start=draft.start, target=draft.target, channel=draft.channel, created_by=draft.created_by,
        status="active", sessions=draft.sessions, members=draft.members,
    )  # fmt: skip


async def create(
    services: Services, key: str, draft: store.CohortDraft, notes: Sequence[str] = ()
) -> Created:
    """One cohort from a form, in one transaction under `key`."""
    try:
        async with services.db.transaction() as db_session:
            return await _create_in(db_session, services.workspace, key, draft, services.clock(), notes)
    except IntegrityError:  # the same name taken by another form at the same moment
        raise store.NameTaken(draft.name) from None


async def create_all(
    db: Database,
    workspace: Workspace,
    now: datetime,
    drafts: Sequence[tuple[str, store.CohortDraft]],
    notes: Sequence[Sequence[str]] | None = None,
) -> list[Created]:
    """Several cohorts by (key, draft) in one transaction, for an import file without a chat connection:
    a name another cohort holds (store.NameTaken) stores none of them."""
    said = list(notes) if notes is not None else [()] * len(drafts)
    try:
        async with db.transaction() as db_session:
            return [
                await _create_in(db_session, workspace, key, draft, now, note)
                for (key, draft), note in zip(drafts, said, strict=True)
            ]
    except IntegrityError:  # a name taken by another import at the same moment: none of these is kept
        raise store.NameTaken(", ".join(draft.name for _, draft in drafts)) from None


@dataclass(frozen=True)
class Moved:
    applied: bool  # False: this move was applied before, or another move changed the cohort meanwhile
    changed: tuple[str, ...]
    move: int  # the cohort's move number, which names its notices


async def apply_move(services: Services, key: str, cohort: Cohort, moved: Layout) -> Moved:
    """Store the moved sessions (new times, sequence up), their fresh timers and one notice timer.

    Applied only to the sessions it was worked out from: the cohort's move count must still be the one
    read, so two moves at once never interleave. Check-ins made early for a moved session are dropped
    (it has not happened yet); trainers' marks are kept."""
    now = services.clock()
    leads = list(services.workspace.training.reminders)
    changed = [s for s in moved.sessions if s.id in moved.changed]
    async with services.db.transaction() as db_session:
        if not await claim_in(db_session, key, "training-move", now):
            return Moved(False, moved.changed, 0)
        counted = await db_session.execute(
            update(TrainingCohort)
            .where(TrainingCohort.cohort_id == cohort.id, TrainingCohort.moves == cohort.moves)
            .values(moves=TrainingCohort.moves + 1)
        )
        if counted.rowcount != 1:
            raise MovedMeanwhile(cohort.name)
        number = cohort.moves + 1
        ids = [s.id for s in changed]
        for session in changed:
            await db_session.execute(
                update(TrainingSession)
                .where(TrainingSession.cohort_id == cohort.id, TrainingSession.session_id == session.id)
                .values(start_at=session.start, end_at=session.end, sequence=session.sequence)
            )
            await _session_timers(db_session, cohort.id, session, cohort.attended(session), leads, now)
        if changed:
            await db_session.execute(  # a trainer's mark (absent, excused) stands: it is about the person
                delete(TrainingAttendance).where(
                    TrainingAttendance.cohort_id == cohort.id,
                    TrainingAttendance.session_id.in_(ids),
                    TrainingAttendance.status == "present",
                    TrainingAttendance.marked_by == TrainingAttendance.user_id,
                )
            )
            payload = {"cohort": cohort.id, "sessions": ids, "move": number}
            await schedule_in(db_session, f"training-moved:{cohort.id}:{number}", MOVED, now, now, payload)
    return Moved(True, moved.changed, number)


class MovedMeanwhile(Exception):
    """Another move of the cohort was stored after this one read it: look again and move again."""


def zones(workspace: Workspace) -> store.ZoneOf:
    """A site's zone by its id, for reading stored times; a site removed from the file since reads
    in the workspace's zone."""

    def zone(site_id: str) -> ZoneInfo:
        site = workspace.site(site_id)
        return site.tz if site is not None else workspace.tz

    return zone


async def load(services: Services, cohort_id: int) -> Cohort | None:
    return await store.load(services.db, cohort_id, zones(services.workspace))


async def find(services: Services, name: str) -> Cohort | None:
    return await store.find(services.db, name, zones(services.workspace))


def site_of(workspace: Workspace, cohort: Cohort) -> Site | None:
    """The cohort's site as the workspace file has it now (None: removed from the file since)."""
    return workspace.site(cohort.site)
