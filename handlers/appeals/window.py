"""When an appeal may be filed and when its review is due, in the workspace's own days.

The window closes at the end of the `window_days`-th local day after the audit was stored (a labeler
sees a date, not an instant); the review is due by the end of the `review_days`-th working day after
filing; reminders go out at REMIND_AT on the due day and then on each working day it is late.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.workspace_appeals import AppealSettings

REMIND_AT = time(9, 0)
MAX_REMINDERS = 5  # the due day and four working days late; after that the report shows it


def _end_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tz)


def closes_on(audited_at: datetime, settings: AppealSettings, tz: ZoneInfo) -> date:
    """The last local day an appeal on this audit is taken."""
    return audited_at.astimezone(tz).date() + timedelta(days=settings.window_days)


def is_open(audited_at: datetime, now: datetime, settings: AppealSettings, tz: ZoneInfo) -> bool:
    return now < _end_of(closes_on(audited_at, settings, tz), tz)


def due_on(filed_at: datetime, settings: AppealSettings, tz: ZoneInfo) -> date:
    """The working day by whose end the review is due."""
    return settings.working_days_after(filed_at.astimezone(tz).date(), settings.review_days)


def due_at(filed_at: datetime, settings: AppealSettings, tz: ZoneInfo) -> datetime:
    return _end_of(due_on(filed_at, settings, tz), tz)


def reminder_at(due: date, step: int, settings: AppealSettings, tz: ZoneInfo) -> datetime:
    """Reminder `step` (0: the due day's morning; n: the n-th working day after it)."""
    day = settings.working_days_after(due, step) if step else due
    return datetime.combine(day, REMIND_AT, tz)
