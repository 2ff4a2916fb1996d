"""Raising and working an escalation: each change is stored with the durable timers that carry its
side effects, then those timers run at once (and, after a crash, on the next poll or replica).

- `escalate.announce` posts the message in the escalation channel, the thread's first reply with the
  mentions, the reporter's DM and, when contacts are missing, the admins' notice: each once.
- `escalate.note` puts one change's note in the thread and updates the message in place.
Keys say what a change means (`escalate-ack:{n}:{generation}`, `escalate-update:{n}:{form}`), so a
double click, a retried form or a second replica changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from bot import once
from bot.chat.model import MessageRef
from bot.chat.port import ChatError
from bot.context import Services
from bot.workspace_escalation import EscalationSettings
from handlers.escalate import directory, impact, store, timing
from handlers.escalate import views as v
from handlers.escalate.store import ACKNOWLEDGED, OPEN, RESOLVED, Changed, Draft, Refused, Timer
from storage import claims
from storage.models.escalation import Escalation

ANNOUNCE_KIND = "escalate.announce"
NOTE_KIND = "escalate.note"
REMIND_KIND = "escalate.remind"
NUDGE_KIND = "escalate.nudge"


def settings(services: Services) -> EscalationSettings:
    found = services.workspace.escalation
    if found is None:
        raise RuntimeError("the workspace file has no escalation: section")
    return found


def _ack_timers(services: Services, esc: Escalation, now: datetime) -> list[Timer]:
    """Tier 1 again, then tier 2, while this generation stays unacknowledged. Keyed by generation and
    step, so a step that was said is never said again; stored again after a severity change they move
    (a step not yet said), and tier 1 always gets one interval before tier 2 is paged."""
    config, tz = settings(services), services.workspace.timezone
    first = timing.ack_due(config, esc.severity, esc.since_at, 1, tz)
    second = timing.ack_due(config, esc.severity, esc.since_at, 2, tz)
    due_first = max(first, now)
    due_second = max(second, due_first + (second - first))
    payload = {"number": esc.number, "generation": esc.generation}
    return [
        (f"escalate-remind:{esc.number}:{esc.generation}:{step}", REMIND_KIND, due, {**payload, "step": step})
        for step, due in ((1, due_first), (2, due_second))
    ]


def _nudge_timers(services: Services, esc: Escalation, event: int) -> list[Timer]:
    """One nudge for the owner after the update interval of silence (SEV1/SEV2 by default)."""
    if esc.status != ACKNOWLEDGED:
        return []
    since = max(t for t in (esc.acknowledged_at, esc.last_update_at) if t is not None)
    due = timing.update_due(settings(services), esc.severity, since)
    if due is None:
        return []
    return [(f"escalate-nudge:{esc.number}:{event}", NUDGE_KIND, due, {"number": esc.number, "event": event})]


def _chase(services: Services, esc: Escalation, event: int, now: datetime) -> list[Timer]:
    """The reminders for the escalation as it now stands: while open, tier 1 then tier 2 (the same
    keys, so an update changes nothing and a severity change moves what is still to come); once
    acknowledged, the owner's nudge for this change (earlier nudges go quiet)."""
    esc.chased_by = event
    if esc.status == OPEN:
        return _ack_timers(services, esc, now)
    return _nudge_timers(services, esc, event)


def _note(esc: Escalation, event_id: int, now: datetime) -> Timer:
    """The thread note of one change, due at once."""
    return (f"escalate-note:{event_id}", NOTE_KIND, now, {"number": esc.number, "event": event_id})


async def raise_escalation(services: Services, key: str, draft: Draft, reporter: str) -> Changed:
    """Store the escalation with its announcement and reminders; the announcement runs at once."""
    now = services.clock()

    def timers(esc: Escalation, event: int) -> list[Timer]:
        announce = (f"escalate-announce:{esc.number}", ANNOUNCE_KIND, now, {"number": esc.number})
        return [announce, *_chase(services, esc, event, now)]

    return await store.open_escalation(services.db, key, draft, reporter, now, timers)


async def top_message(services: Services, esc: Escalation) -> MessageRef | None:
    """The escalation's message, posted once under `escalate-post:{n}`; None while another worker
    holds that claim. A retaken claim looks for an earlier post before posting."""
    if esc.ts:
        return MessageRef(esc.channel, esc.ts)

    async def recorded(sent: MessageRef) -> None:
        await store.record_post(services.db, esc.number, sent.channel, sent.ts)

    message = v.escalation_message(esc, services.workspace)
    key = f"escalate-post:{esc.number}"
    return await once.post_recorded(services, key, "escalation", esc.channel, message, recorded)


async def thread(services: Services, esc: Escalation) -> MessageRef:
    ref = await top_message(services, esc)
    if ref is None:
        raise claims.Held(f"escalate-post:{esc.number}", services.clock() + claims.LEASE)
    return ref


async def permalink(services: Services, ref: MessageRef) -> str | None:
    try:
        return await services.port.permalink(ref)
    except ChatError:
        return None


async def _fill_impact(services: Services, esc: Escalation) -> Escalation:
    """An impact left empty is the queue's figures at the time it was raised (off the form's path,
    which must answer within Slack's 3 seconds)."""
    queue = services.workspace.queue(esc.queue) if esc.queue else None
    text = "Not stated."
    if queue is not None:
        figures = await impact.queue_impact(services.db, queue.id, esc.opened_at)
        text = impact.impact_text(figures, queue.name, services.workspace.tz)
    await store.fill_impact(services.db, esc.number, text)
    return await store.get(services.db, esc.number) or esc


async def run_announce(services: Services, taken: claims.Taken) -> str:
    """The `escalate.announce` timer: message, first reply, reporter's DM, admins' notice; each once."""
    number = int((taken.payload or {})["number"])
    esc = await store.get(services.db, number)
    if esc is None:
        return "gone"
    if not esc.impact:
        esc = await _fill_impact(services, esc)
    ref = await thread(services, esc)
    reach = await directory.reach(services, esc.platform, esc.vendor)
    first = v.first_reply(esc, reach, services.workspace)
    await once.reply(services, f"escalate-thread:{number}", "escalation", ref, first)
    link = await permalink(services, ref)
    await once.dm(
        services, f"escalate-reporter:{number}", "escalation", esc.reporter, v.reporter_dm(esc, link)
    )
    if reach.missing:
        await services.tell_admins(v.missing_contacts(esc, reach.missing), key=f"escalate-missing:{number}")
    return ref.ts


async def refresh(services: Services, number: int) -> None:
    """The message in the channel shows the escalation as it stands now. Two notes finishing out of
    order (two replicas) could leave the older state shown: read again after updating, and update
    again until what is shown is what is stored."""
    shown = None
    for _ in range(3):
        esc = await store.get(services.db, number)
        if esc is None or not esc.ts:
            return
        message = v.escalation_message(esc, services.workspace)
        if message == shown:
            return
        await services.port.update(MessageRef(esc.channel, esc.ts), message)
        shown = message


async def run_note(services: Services, taken: claims.Taken) -> str:
    """The `escalate.note` timer: the change's note in the thread (once) and the message updated."""
    payload = taken.payload or {}
    esc = await store.get(services.db, int(payload["number"]))
    event = await store.event(services.db, int(payload["event"])) if payload.get("event") else None
    if esc is None or event is None:
        return "gone"
    ref = await thread(services, esc)
    note = v.event_note(esc, event, services.workspace)
    if note is not None:
        await services.port.reply(ref, note, key=taken.key, look_first=taken.retaken)
    await refresh(services, esc.number)
    if event.kind == "resolved":
        link = await permalink(services, ref)
        await once.dm(services, f"{taken.key}:reporter", "escalation", esc.reporter,
                      v.resolved_dm(esc, link))  # fmt: skip
    return event.kind


async def _change(
    services: Services, esc: Escalation, key: str, kind: str, user: str, apply: store.Apply, *, chase: bool
) -> Changed:
    """A change stored with its thread note and, with `chase`, the reminders for the escalation as
    the change leaves it (which silences the earlier ones)."""
    now = services.clock()

    def timers(row: Escalation, event: int) -> list[Timer]:
        return [_note(row, event, now), *(_chase(services, row, event, now) if chase else [])]

    return await store.change(services.db, esc.number, key, kind, user, now, apply, timers)


def _same_generation(esc: Escalation, row: Escalation) -> None:
    if row.generation != esc.generation:
        raise Refused("changed")


async def acknowledge(services: Services, esc: Escalation, user: str) -> Changed:
    now = services.clock()

    def apply(row: Escalation) -> str:
        _same_generation(esc, row)
        if row.status == RESOLVED:
            raise Refused("resolved")
        if row.status == ACKNOWLEDGED:
            raise Refused("acknowledged")
        row.status, row.owner, row.acknowledged_at = ACKNOWLEDGED, user, now
        row.first_acknowledged_at = row.first_acknowledged_at or now
        return f"after {v.span(now - row.since_at)}"

    key = f"escalate-ack:{esc.number}:{esc.generation}"
    return await _change(services, esc, key, "acknowledged", user, apply, chase=True)


async def post_update(services: Services, esc: Escalation, user: str, text: str, form: str) -> Changed:
    now = services.clock()

    def apply(row: Escalation) -> str:
        if row.status == RESOLVED:
            raise Refused("resolved")
        row.updates += 1
        row.last_update, row.last_update_at, row.last_update_by = text, now, user
        return text

    key = f"escalate-update:{esc.number}:{form}"
    return await _change(services, esc, key, "update", user, apply, chase=True)


async def change_severity(
    services: Services, esc: Escalation, user: str, severity: str, reason: str, form: str
) -> Changed:
    def apply(row: Escalation) -> str:
        if row.status == RESOLVED:
            raise Refused("resolved")
        if row.severity == severity:
            raise Refused("same")
        before, row.severity = row.severity, severity
        return f"{before} → {severity}" + (f" ({reason})" if reason else "")

    key = f"escalate-severity:{esc.number}:{form}"
    return await _change(services, esc, key, "severity", user, apply, chase=True)


async def resolve(services: Services, esc: Escalation, user: str, resolution: str, cause: str) -> Changed:
    now = services.clock()

    def apply(row: Escalation) -> str:
        _same_generation(esc, row)
        if row.status == RESOLVED:
            raise Refused("already")
        row.status, row.resolved_at, row.resolved_by = RESOLVED, now, user
        row.resolution, row.cause = resolution, cause
        cause_text = v.CAUSES.get(cause, cause)
        return f"{resolution} (cause: {cause_text}; {v.span(now - row.opened_at)} after it was raised)"

    key = f"escalate-resolve:{esc.number}:{esc.generation}"
    return await _change(services, esc, key, "resolved", user, apply, chase=False)


async def reopen(services: Services, esc: Escalation, user: str) -> Changed:
    now = services.clock()

    def apply(row: Escalation) -> str:
        _same_generation(esc, row)
        if row.status != RESOLVED:
            raise Refused("not resolved")
        row.generation += 1
        row.status, row.since_at, row.owner, row.acknowledged_at = OPEN, now, None, None
        row.resolved_at = row.resolved_by = row.resolution = row.cause = None
        return "it is open again and will be chased as a new one"

    key = f"escalate-reopen:{esc.number}:{esc.generation}"
    return await _change(services, esc, key, "reopened", user, apply, chase=True)
