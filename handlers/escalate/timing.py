"""When an escalation's reminders fall due: minutes per severity, or the next business day.

Pure functions of the settings and a start time, so the steps can be checked against a calendar.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from bot.workspace_escalation import EscalationSettings

ACK_STEPS = (1, 2)  # 1: ping tier 1 again; 2: page tier 2


@cache
def _holidays(country: str, year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, years=year))


def is_business_day(day: date, country: str | None) -> bool:
    if day.weekday() >= 5:
        return False
    return country is None or day not in _holidays(country, day.year)


def next_business_start(after: datetime, settings: EscalationSettings, tz: str) -> datetime:
    """The start of the next business day after the day of `after` (weekends and, with a
    `holidays_country`, its public holidays skipped), in the workspace's timezone: raised on Monday,
    even before the day starts, tier 1 hears on Tuesday morning."""
    zone = ZoneInfo(tz)
    hour, minute = map(int, settings.business_day_start.split(":"))
    day = after.astimezone(zone).date() + timedelta(days=1)
    while not is_business_day(day, settings.holidays_country):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), zone)


def ack_due(settings: EscalationSettings, severity: str, since: datetime, step: int, tz: str) -> datetime:
    """When step 1 (tier 1 again) or step 2 (tier 2) falls due for an escalation not acknowledged
    since `since` (opened or reopened): one interval, then another."""
    minutes = settings.timing(severity).ack_minutes
    if minutes is not None:
        return since + timedelta(minutes=minutes * step)
    due = since
    for _ in range(step):
        due = next_business_start(due, settings, tz)
    return due


def update_due(settings: EscalationSettings, severity: str, since: datetime) -> datetime | None:
    """When the owner is nudged for silence since `since`; None when this severity has no nudges."""
    minutes = settings.timing(severity).update_minutes
    return since + timedelta(minutes=minutes) if minutes is not None else None
