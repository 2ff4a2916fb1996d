"""At start, check what setups most often get wrong: the bot missing from a channel it must post
in, a channel ID that does not exist, a missing scope. Each problem says exactly what to do."""

from __future__ import annotations

import hashlib
import logging

from bot.chat.model import Markup, Message, md
from bot.chat.port import ChatError
from bot.context import Services

log = logging.getLogger("tsqa.setup")


def channels_used(services: Services) -> dict[str, str]:
    """Channel ID → what the bot needs it for."""
    ws = services.workspace
    used: dict[str, str] = {}
    for vendor in ws.vendors:
        used.setdefault(vendor.channel, f"{vendor.name}'s channel")
    for schedule in ws.digests:
        used[schedule.channel] = f"the {schedule.at} digest"
    for channel in ws.ingest.channels:
        used.setdefault(channel, "queue-data uploads")
    if ws.policy is not None and ws.policy.owners_channel:
        used.setdefault(ws.policy.owners_channel, "policy questions for the owners")
    if ws.appeals is not None:  # optional: without the section appeals are off
        used.setdefault(ws.appeals.channel, "appeal reviews")
    return used


async def check_channels(services: Services) -> list[Markup]:
    names = {c.id: c.name for c in services.workspace.channels}
    problems = []
    for channel, purpose in channels_used(services).items():
        label = f"#{names[channel]}" if channel in names else channel
        try:
            if not await services.port.is_member(channel):
                hint = services.port.join_hint(md("{}", label))
                problems.append(md("I am not in {} ({}): {}.", label, purpose, hint))
        except ChatError as exc:
            hint = md(": {}", exc.hint) if exc.hint else md("")
            problems.append(md("{} ({}): {}", label, purpose, exc.code) + hint)
    return problems


async def report_setup_problems(services: Services) -> None:
    """Log every problem; tell the admins once a day, not on every restart."""
    problems = await check_channels(services)
    for problem in problems:
        log.warning("setup: %s", problem.plain)
    if not problems:
        return
    day = services.clock().astimezone(services.workspace.tz).date()
    fingerprint = hashlib.sha256("\n".join(p.plain for p in problems).encode()).hexdigest()[:16]
    text = md("*tsqa-bot setup needs a hand:*\n") + md("\n").join(md("• {}", p) for p in problems)
    await services.tell_admins(Message.text(text), key=f"setup:{day}:{fingerprint}")
