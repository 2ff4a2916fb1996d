"""A cohort's sessions as an iCalendar file that Outlook and Google Calendar import.

Each session keeps one UID for its life and its SEQUENCE goes up when it moves, so importing the file
again updates the event in place instead of adding a second one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

from handlers.training.plan import KIND_NAMES
from handlers.training.schedule import Layout, Session

PRODID = "-//tsqa-bot//training//EN"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def session_uid(cohort: str, session_id: str) -> str:
    """The event's UID: stable across moves and exports, unique per cohort and session."""
    return f"{_UNSAFE.sub('-', cohort).strip('-') or 'cohort'}-{session_id}@tsqa"


def _summary(session: Session) -> str:
    if session.parts == 1:
        return session.title
    word = "day" if session.kind == "nesting" else "part"
    return f"{session.title} ({word} {session.occurrence} of {session.parts})"


def _description(layout: Layout, session: Session, cohort_name: str) -> str:
    return (
        f"{KIND_NAMES[session.kind]} of the {layout.plan.name} plan for the {cohort_name} cohort, "
        f"at the {layout.site.id} site ({layout.site.timezone})."
    )


def to_ics(
    layout: Layout, cohort: str, *, cohort_name: str | None = None, stamp: datetime | None = None
) -> bytes:
    """The layout as a METHOD:PUBLISH calendar, times in the site's zone with its VTIMEZONE.

    `cohort` is the cohort's id (it goes into every UID); `stamp` is DTSTAMP (now when not given).
    """
    name = cohort_name or cohort
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Training: {name}")
    calendar.add("x-wr-timezone", layout.site.timezone)
    for session in layout.sessions:
        event = Event()
        event.add("uid", session_uid(cohort, session.id))
        event.add("dtstamp", stamp)
        event.add("sequence", session.sequence)
        event.add("dtstart", session.start)
        event.add("dtend", session.end)
        event.add("summary", _summary(session))
        event.add("description", _description(layout, session, name))
        calendar.add_component(event)
    first, last = layout.sessions[0].day, layout.sessions[-1].day
    calendar.add_missing_timezones(
        first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 1, 12, 31) + timedelta(days=1)
    )
    return calendar.to_ical()
