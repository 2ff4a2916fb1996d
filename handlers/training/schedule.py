"""A training plan laid onto a site's calendar, and a session moved with the rest following it.

Pure: the site (timezone, country, working hours) and the plan in, sessions as aware datetimes out.

Packing, chosen so a classroom session is never cut in two for an hour's gap: a day holds modules in
order until its working hours are used; a module that does not fit in what is left of the day starts
the next working day; a module longer than a whole working day takes whole days and ends with the
remainder, one session per day (`<module id>-1`, `-2`, …). Nesting takes whole working days, one
session per day, starting on a day of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from bot.workspace_training import Site
from handlers.training.plan import Module, ModuleKind, Plan

_MAX_SKIP = 400  # days looked at for the next working day: a year of holidays is never that long


class ScheduleError(ValueError):
    """A move the calendar cannot take; the message says what is wrong and where."""


@dataclass(frozen=True)
class Session:
    """One sitting of a module. `id` is stable (module id + occurrence) so calendars update it in
    place; `sequence` goes up each time it moves, which is what calendar apps compare."""

    id: str
    module_id: str
    occurrence: int
    parts: int
    title: str
    kind: ModuleKind
    start: datetime
    end: datetime
    sequence: int = 0

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def minutes(self) -> int:
        """Wall-clock length at the site (a DST change overnight does not alter a 09:00-12:00 session)."""
        return int((self.end.replace(tzinfo=None) - self.start.replace(tzinfo=None)).total_seconds() // 60)


@dataclass(frozen=True)
class Layout:
    """A plan on the calendar of one site. `changed`: the sessions whose times differ from the layout
    this one was moved from (empty for a fresh layout), so each affected person is told once."""

    plan: Plan
    site: Site
    start: date
    target: date
    sessions: tuple[Session, ...]
    changed: tuple[str, ...] = field(default=())

    @property
    def go_live(self) -> date:
        """The first working day after the last session."""
        return next_working_day(self.site, self.sessions[-1].day)

    @property
    def fits(self) -> bool:
        return self.go_live <= self.target

    @property
    def days_over(self) -> int:
        """Working days from the target to go-live (0 when it fits): how much must be cut or moved."""
        if self.fits:
            return 0
        return working_days_after(self.site, self.target, self.go_live)

    def session(self, session_id: str) -> Session | None:
        return next((s for s in self.sessions if s.id == session_id), None)


def next_working_day(site: Site, day: date) -> date:
    """The first working day at `site` after `day`."""
    return first_working_day(site, day + timedelta(days=1))


def first_working_day(site: Site, day: date) -> date:
    """`day` itself when it is a working day at `site`, else the next one."""
    for _ in range(_MAX_SKIP):
        if site.is_working_day(day):
            return day
        day += timedelta(days=1)
    raise ScheduleError(f"site {site.id} has no working day within {_MAX_SKIP} days of {day:%d %b %Y}")


def working_days_after(site: Site, first: date, last: date) -> int:
    """Working days in (first, last]: 0 when `last` is not after `first`."""
    count, day = 0, first + timedelta(days=1)
    while day <= last:
        count += site.is_working_day(day)
        day += timedelta(days=1)
    return count


@dataclass(frozen=True)
class _Piece:
    """A session to place: its minutes, and whether it takes a whole day (nesting)."""

    session: Session
    minutes: int
    whole_day: bool


def _pieces(plan: Plan, site: Site, placeholder: datetime) -> list[_Piece]:
    """Each module cut into sessions of at most one working day, in plan order (times filled later)."""
    pieces: list[_Piece] = []
    for module in plan.modules:
        lengths = _lengths(module, site.day_minutes)
        for occurrence, minutes in enumerate(lengths, start=1):
            session = Session(
                id=f"{module.id}-{occurrence}",
                module_id=module.id,
                occurrence=occurrence,
                parts=len(lengths),
                title=module.title,
                kind=module.kind,
                start=placeholder,
                end=placeholder,
            )
            pieces.append(_Piece(session, minutes, module.kind == "nesting"))
    return pieces


def _lengths(module: Module, day: int) -> list[int]:
    if module.kind == "nesting":
        return [day] * module.nesting_days
    whole, rest = divmod(module.minutes, day)
    return [day] * whole + ([rest] if rest else [])


def _at(site: Site, day: date, offset: int) -> datetime:
    """`offset` minutes after the site opens on `day`, as an aware datetime in the site's zone."""
    opens = datetime.combine(day, site.opens)
    return (opens + timedelta(minutes=offset)).replace(tzinfo=site.tz)


def _place(site: Site, pieces: list[_Piece], day: date, used: int) -> list[Session]:
    """The pieces in order from `used` minutes into `day`: what does not fit starts the next working day."""
    placed: list[Session] = []
    for piece in pieces:
        fresh_day_needed = used + piece.minutes > site.day_minutes or (piece.whole_day and used > 0)
        if fresh_day_needed:
            day, used = next_working_day(site, day), 0
        start, end = _at(site, day, used), _at(site, day, used + piece.minutes)
        placed.append(replace(piece.session, start=start, end=end))
        used += piece.minutes
    return placed


def lay_out(plan: Plan, site: Site, start: date, target: date) -> Layout:
    """The plan's sessions on working days at `site` from `start` (or the next working day after it)."""
    placeholder = datetime.combine(start, time(), tzinfo=site.tz)
    pieces = _pieces(plan, site, placeholder)
    sessions = _place(site, pieces, first_working_day(site, start), 0)
    return Layout(plan=plan, site=site, start=start, target=target, sessions=tuple(sessions))


def _when(moment: datetime) -> str:
    return f"{moment:%a %d %b %Y %H:%M} ({moment.tzinfo})"


def _local(site: Site, moment: datetime) -> datetime:
    """A time given without a zone is the site's local time."""
    return moment.replace(tzinfo=site.tz) if moment.tzinfo is None else moment.astimezone(site.tz)


def move(layout: Layout, session_id: str, new_start: datetime) -> Layout:
    """`session_id` moved to `new_start`; every later session is laid again after it, in order.

    A nesting day moves to the opening hour of the new start's day. Later sessions are re-packed from
    the moved session's end with the same rules as `lay_out`, so a move earlier pulls them earlier too.
    """
    site = layout.site
    index = next((i for i, s in enumerate(layout.sessions) if s.id == session_id), None)
    if index is None:
        known = ", ".join(s.id for s in layout.sessions)
        raise ScheduleError(f"there is no session {session_id!r} in this cohort (sessions: {known})")
    session = layout.sessions[index]
    start = _local(site, new_start)
    day = start.date()
    if not site.is_working_day(day):
        why = site.holiday(day) or "a weekend"
        raise ScheduleError(f"{day:%a %d %b %Y} is not a working day at {site.id}: {why}")
    if session.kind == "nesting":
        start = _at(site, day, 0)
    offset = int((start.replace(tzinfo=None) - datetime.combine(day, site.opens)).total_seconds() // 60)
    minutes = session.minutes
    if offset < 0 or offset + minutes > site.day_minutes:
        raise ScheduleError(
            f"{session.id} ({minutes // 60}h{minutes % 60:02d}) starting {_when(start)} does not fit in "
            f"{site.id}'s working hours {site.hours}"
        )
    if index > 0 and start < layout.sessions[index - 1].end:
        before = layout.sessions[index - 1]
        raise ScheduleError(
            f"{session.id} cannot start before {before.id} ends ({_when(before.end)}): "
            "sessions keep the plan's order"
        )
    moved = replace(session, start=start, end=_at(site, day, offset + minutes))
    later = [_Piece(s, s.minutes, s.kind == "nesting") for s in layout.sessions[index + 1 :]]
    placed = [moved, *_place(site, later, day, offset + minutes)]
    before_move = layout.sessions[index:]
    sessions = list(layout.sessions[:index])
    changed: list[str] = []
    for old, new in zip(before_move, placed, strict=True):
        if (old.start, old.end) != (new.start, new.end):
            new = replace(new, sequence=old.sequence + 1)
            changed.append(new.id)
        sessions.append(new)
    return replace(layout, sessions=tuple(sessions), changed=tuple(changed))
