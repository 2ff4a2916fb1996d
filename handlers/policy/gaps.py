"""The weekly knowledge gaps: the week's questions without a confident answer and those marked not
helpful, most asked first, posted in the policy owners' channel once per ISO week. The owners'
channel (not a DM to each owner) because a gap often has no owner yet: nobody knows which policy is
unclear until someone reads it."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import once
from bot.chat.model import Message, Part, Text, md
from bot.context import Services
from handlers.policy import answers
from handlers.policy.index import settings

TOP = 10


def gaps_message(week: str, found: list[answers.Gap]) -> Message:
    parts: list[Part] = [Text(md("📝 *Policy knowledge gaps, week {}*", week))]
    if not found:
        parts.append(Text("Every question this week had a confident answer nobody marked unhelpful."))
    for gap in found:
        times = md(" ({} times)", gap.times) if gap.times > 1 else md("")
        parts.append(Text(md("• {}{} · _{}_", gap.text[:300], times, gap.reason)))
    return Message(md("Policy knowledge gaps, week {}", week), tuple(parts))


def last_week(now: datetime) -> tuple[str, datetime, datetime]:
    """The ISO week before `now`'s, as its name and its [Monday, next Monday) in `now`'s zone."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    start = monday - timedelta(days=7)
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}", start, monday


async def weekly(services: Services) -> bool:
    """Posted once per week (claim by ISO week), whichever replica runs the job first."""
    channel = settings(services.workspace).owners_channel
    if channel is None:
        return False
    week, start, end = last_week(services.clock().astimezone(services.workspace.tz))
    found = await answers.gaps(services.db, start, end, TOP)

    taken = await once.post(services, f"policy-gaps:{week}", "policy", channel, gaps_message(week, found))
    return taken.won
