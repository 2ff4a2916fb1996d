"""An escalation's reminders, as durable timers: no acknowledgement in time pings tier 1 again in
the thread (step 1), then pages tier 2 in the thread and by DM (step 2); an owner silent for the
update interval gets one nudge. Each fires once, across restarts and replicas, and does nothing when
a later change has made it stale (`Escalation.chased_by`).
"""

from __future__ import annotations

import logging

from bot import once
from bot.chat.port import ChatError
from bot.context import Services
from handlers.escalate import directory, lifecycle, store
from handlers.escalate import views as v
from handlers.escalate.store import ACKNOWLEDGED, OPEN
from storage import claims
from storage.models.escalation import Escalation

log = logging.getLogger("tsqa.escalate")
# Errors that no retry mends: the person cannot get a DM from the bot at all.
UNREACHABLE = frozenset(
    {"user_not_found", "cannot_dm_bot", "not_installed_for_user", "user_disabled", "account_inactive",
     "channel_not_found", "is_archived", "users_not_found"}
)  # fmt: skip


async def _current(services: Services, taken: claims.Taken, status: str) -> Escalation | None:
    """The escalation if this timer still applies: the reminders of its generation while it is open,
    the nudge of its latest change while it is acknowledged."""
    payload = taken.payload or {}
    esc = await store.get(services.db, int(payload["number"]))
    if esc is None or esc.status != status:
        return None
    if "generation" in payload:
        return esc if esc.generation == int(payload["generation"]) else None
    return esc if esc.chased_by == int(payload["event"]) else None


async def run_remind(services: Services, taken: claims.Taken) -> str:
    """The `escalate.remind` timer: step 1 pings tier 1 again, step 2 pages tier 2."""
    esc = await _current(services, taken, OPEN)
    if esc is None:
        return "stale"
    step = int((taken.payload or {})["step"])
    reach = await directory.reach(services, esc.platform, esc.vendor)
    targets = list(reach.tier1 if step == 1 else reach.tier2)
    waited = services.clock() - esc.since_at
    thread = await lifecycle.thread(services, esc)
    kind = "reminded" if step == 1 else "paged"

    async def recorded(_sent: object) -> None:
        detail = f"tier {step}: " + (", ".join(targets) if targets else "nobody configured")
        await store.record_event(services.db, esc.number, kind, None, services.clock(), detail)

    message = v.reminder(esc, step, targets, waited)
    await once.reply(services, f"{taken.key}:thread", "escalation", thread, message, then=recorded)
    if step == 2:
        link = await lifecycle.permalink(services, thread)
        for person in targets:
            try:
                await once.dm(
                    services, f"{taken.key}:{person}", "escalation", person, v.page_dm(esc, link, waited)
                )
            except ChatError as exc:
                if exc.code not in UNREACHABLE:
                    raise  # passing (a rate limit, a 5xx): the timer tries again; the paged stay paged
                log.info("could not page %s: %s", person, exc)
        if not targets:
            missing = [f"platform {esc.platform} has no R&D escalation (rd_escalation) to page"]
            await services.tell_admins(v.missing_contacts(esc, missing), key=f"{taken.key}:admins")
    return f"{kind} {len(targets)}"


async def run_nudge(services: Services, taken: claims.Taken) -> str:
    """The `escalate.nudge` timer: the owner, once, after the update interval of silence."""
    esc = await _current(services, taken, ACKNOWLEDGED)
    if esc is None or not esc.owner:
        return "stale"
    since = max(t for t in (esc.acknowledged_at, esc.last_update_at) if t is not None)
    thread = await lifecycle.thread(services, esc)

    async def recorded(_sent: object) -> None:
        await store.record_event(services.db, esc.number, "nudged", None, services.clock(), esc.owner or "")

    message = v.nudge(esc, services.clock() - since)
    await once.reply(services, f"{taken.key}:thread", "escalation", thread, message, then=recorded)
    return "nudged"
