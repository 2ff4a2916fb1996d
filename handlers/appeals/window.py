"""When an appeal may be filed and when its review is due, in the workspace's own days.

The window closes at the end of the `window_days`-th local day after the audit was stored (a labeler
sees a date, not an instant); the review is due by the end of the `review_days`-th working day after
filing; reminders go out at REMIND_AT on the due day and then on each working day it is late.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.workspace_appeals import AppealSettings

REMIND_AT = time(9, 0)
# An audit stored later than this after its decision (a backfill of history) counts from this long after
# the decision: loading last month's audits must not reopen last month's verdicts to appeal.
LATE_AUDIT = timedelta(days=14)
MAX_REMINDERS = 5  # the due day and four working days late; after that the report shows it


def _end_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tz)


def audit_time(audited_us: int, completed_us: int) -> datetime:
    """When the appeal window starts: the audit's storing, at most LATE_AUDIT after the decision."""
    late = completed_us + int(LATE_AUDIT.total_seconds() * 1_000_000)
    return datetime.fromtimestamp(min(audited_us, late) / 1_000_000, UTC)


def opened_since(now: datetime, settings: AppealSettings, tz: ZoneInfo) -> datetime:
    """The earliest audit time whose window is still open now: local midnight `window_days` days back
    (so the list and `is_open` agree, daylight saving included)."""
    first = now.astimezone(tz).date() - timedelta(days=settings.window_days)
    return datetime.combine(first, time(0), tz)


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
