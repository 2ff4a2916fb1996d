"""A cascade's durable timers: a DM to each pending member at 09:00 workspace time the day before and
on the ack-by day, and the final summary to the policy's owners and the admins at the end of the
ack-by day (17:00 workspace time).

Keys carry the day they are for (`policy-cascade-remind:{cascade}:{day}`,
`policy-cascade-summary:{cascade}:{ack_by}`), so a moved ack-by day gets timers of its own and the old
ones, checking the day when they fire, do nothing. Each DM is claimed under its timer's key and the
person: a restart or a second replica never sends one twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import once
from bot.chat.model import Message
from bot.chat.port import ChatError
from bot.context import Services
from handlers.policy import cascade_views as views
from handlers.policy import store
from handlers.policy.cascade_status import cascade_row, status
from storage import claims
from storage.claims import schedule_in

log = logging.getLogger("tsqa.policy")

REMIND_KIND = "policy.cascade.remind"
SUMMARY_KIND = "policy.cascade.summary"
REMIND_AT = time(9, 0)
SUMMARY_AT = time(17, 0)  # the end of the ack-by working day, workspace time
RETRY_FOR = timedelta(hours=12)


def remind_key(cascade_id: int, day: date) -> str:
    return f"policy-cascade-remind:{cascade_id}:{day.isoformat()}"


def summary_key(cascade_id: int, ack_by: date) -> str:
    return f"policy-cascade-summary:{cascade_id}:{ack_by.isoformat()}"


def timers(cascade_id: int, ack_by: date, tz: str, now: datetime) -> list[tuple[str, str, date, datetime]]:
    """(key, kind, day, due) of the cascade's timers as of `now`. A reminder whose 09:00 has passed is
    left out: whoever is pending has just got the post itself. The summary is never left out: at once
    when the end of the ack-by day has passed."""
    zone = ZoneInfo(tz)
    found = [
        (remind_key(cascade_id, day), REMIND_KIND, day, at)
        for day in (ack_by - timedelta(days=1), ack_by)
        if (at := datetime.combine(day, REMIND_AT, zone)) > now
    ]
    end = datetime.combine(ack_by, SUMMARY_AT, zone)
    return [*found, (summary_key(cascade_id, ack_by), SUMMARY_KIND, ack_by, max(end, now))]


async def schedule(services: Services, cascade_id: int, ack_by: date) -> None:
    """The timers for this ack-by day; scheduling them again (a re-publish) changes nothing."""
    now = services.clock()
    async with services.db.transaction() as session:
        for key, kind, day, at in timers(cascade_id, ack_by, services.workspace.timezone, now):
            payload = {"cascade": cascade_id, "day": day.isoformat(), "until": (at + RETRY_FOR).isoformat()}
            await schedule_in(session, key, kind, at, now, payload)


async def run_reminder(services: Services, taken: claims.Taken) -> str:
    """The `policy.cascade.remind` timer: a DM to each pending member, once each."""
    payload = taken.payload or {}
    cascade = await cascade_row(services, int(payload["cascade"]))
    day = date.fromisoformat(payload["day"])
    if cascade is None or day not in (cascade.ack_by, cascade.ack_by - timedelta(days=1)):
        return "moved"
    policy = await store.get(services.db, cascade.policy_id, cascade.version)
    if policy is None:
        return "policy gone"
    now = await status(services, cascade)
    today = day == cascade.ack_by
    to_ack = views.reminder_message(policy, cascade, today=today)
    # Acknowledged but the quiz not passed yet: the reminder starts (or resumes) the quiz itself.
    to_pass = views.reminder_message(policy, cascade, today=today, acked=True)
    acked = now.acked_people()
    sent = _Sent()
    for person in now.pending_people():
        message = to_pass if person in acked else to_ack
        await sent.dm(services, f"{taken.key}:{person}", person, message)
    sent.raise_if_held()
    return f"reminded {sent.count}"


async def run_summary(services: Services, taken: claims.Taken) -> str:
    """The `policy.cascade.summary` timer: the final summary to the owners and admins, once each."""
    payload = taken.payload or {}
    cascade = await cascade_row(services, int(payload["cascade"]))
    if cascade is None or date.fromisoformat(payload["day"]) != cascade.ack_by:
        return "moved"
    policy = await store.get(services.db, cascade.policy_id, cascade.version)
    if policy is None:
        return "policy gone"
    summary = views.status_message(services.workspace, policy, await status(services, cascade), final=True)
    readers = await services.roles.members([*policy.owners, *services.workspace.admins])
    sent = _Sent()
    for person in sorted(readers):
        await sent.dm(services, f"{taken.key}:{person}", person, summary)
    sent.raise_if_held()
    return f"summary to {sent.count}"


class _Sent:
    """The DMs of one timer run, each once under its own key. A person who cannot be reached does not
    stop the others; a DM whose key another worker still holds (it crashed mid-send, its lease not run
    out yet) makes the whole timer try again after that lease, so nobody is silently skipped: those
    already told are not told twice."""

    def __init__(self) -> None:
        self.count = 0
        self.held: list[claims.Taken] = []

    async def dm(self, services: Services, key: str, person: str, message: Message) -> None:
        try:
            taken = await once.dm(services, key, "policy-cascade-dm", person, message)
        except ChatError as exc:
            log.info("could not DM %s: %s", person, exc)
            return
        if taken.won:
            self.count += 1
        elif not taken.done:
            self.held.append(taken)

    def raise_if_held(self) -> None:
        if self.held:
            latest = max(self.held, key=lambda t: t.lease_until or datetime.min.replace(tzinfo=UTC))
            raise claims.Held(latest.key, latest.lease_until)
