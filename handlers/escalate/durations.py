"""How long something took or has waited, as people say it: one wording for the message, the impact
text, the report and the CLI."""

from __future__ import annotations

from datetime import timedelta

NONE_SHOWN = "–"


def span(seconds: float | timedelta) -> str:
    """ "40 s", "45 min", "3 h 10 min", "2 d 3 h": seconds under a minute, then whole minutes (rounded),
    then hours and minutes, then from a day on days and hours."""
    total = seconds.total_seconds() if isinstance(seconds, timedelta) else seconds
    total = max(0.0, total)
    if total < 60:
        return f"{round(total)} s"
    minutes = round(total / 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(round(total / 3600), 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def minutes(value: float | None) -> str:
    """A figure in minutes (the report's medians), "–" when there is none."""
    return NONE_SHOWN if value is None else span(value * 60)
