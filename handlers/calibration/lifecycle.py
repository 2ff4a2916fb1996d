"""A session's life as durable timers stored with it: the invitations (due at once), the reminders
before the due time to those not finished, and the reveal at the due time. Each runs once across
restarts and replicas; each DM under it is claimed per person.

- `calibrate.invite`: every participant's ballot, and the facilitator's progress message.
- `calibrate.remind`: a DM to each participant not finished, once each per reminder.
- `calibrate.reveal`: freezes the votes and posts the results (see `handlers/calibration/reveal.py`).
- `calibrate.post`: posts them again when the facilitator asks, one timer per attempt.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot import once
from bot.chat.model import Message, MessageRef
from bot.chat.port import ChatError
from bot.context import Services
from handlers.calibration import ballot, store
from handlers.calibration import views as v
from handlers.calibration.store import SessionDraft, Timer
from storage import claims
from storage.models import CalibrationSession

log = logging.getLogger("tsqa.calibration")

INVITE_KIND = "calibrate.invite"
REMIND_KIND = "calibrate.remind"
REVEAL_KIND = "calibrate.reveal"
POST_KIND = "calibrate.post"  # "Post the results again", after the reveal could not post them
# Before the due time: a day ahead and two hours ahead, each only when still to come.
REMIND_BEFORE = (timedelta(hours=24), timedelta(hours=2))
REMIND_MARGIN = timedelta(minutes=30)  # a reminder this close to the invitation would be noise
# Platform errors that another try will not fix: the person is told about, the invitation not retried.
UNREACHABLE = frozenset(
    {"user_not_found", "cannot_dm_bot", "not_installed_for_user", "user_disabled", "account_inactive"}
)


def reveal_key(session_id: int) -> str:
    return f"calibrate-reveal:{session_id}"


def post_prefix(session_id: int) -> str:
    return f"calibrate-post:{session_id}:"


def post_key(session_id: int, attempt: int) -> str:
    return f"{post_prefix(session_id)}{attempt}"


def timers(row: CalibrationSession, now: datetime) -> list[Timer]:
    sid = row.session_id
    found: list[Timer] = [(f"calibrate-invite:{sid}", INVITE_KIND, now, {"session": sid})]
    for step, before in enumerate(REMIND_BEFORE, start=1):
        due = row.due_at - before
        if due > now + REMIND_MARGIN:
            found.append((f"calibrate-remind:{sid}:{step}", REMIND_KIND, due, {"session": sid, "step": step}))
    found.append((reveal_key(sid), REVEAL_KIND, max(row.due_at, now), {"session": sid}))
    return found


async def create(services: Services, key: str, draft: SessionDraft) -> tuple[CalibrationSession, bool]:
    """Store the session with its timers under `key`; the invitations run at once."""
    now = services.clock()
    return await store.create(services.db, key, draft, now, lambda row: timers(row, now))


async def progress_message(services: Services, row: CalibrationSession) -> Message:
    """Who has finished and who has not, as the facilitator sees it."""
    members = await store.participants(services.db, row.session_id)
    finished = [m.user_id for m in members if m.finished_at is not None]
    waiting = [m.user_id for m in members if m.finished_at is None]
    count = len(await store.items(services.db, row.session_id))
    queue = services.workspace.queue(row.queue)
    return v.progress_message(row, queue, finished, waiting, count, services.workspace.tz)


async def refresh_progress(services: Services, session_id: int) -> None:
    """The facilitator's progress DM shows the session as it stands: updated again until what is
    shown is what is stored (two votes finishing at once on two replicas)."""
    shown = None
    for _ in range(3):
        row = await store.get(services.db, session_id)
        if row is None or not row.progress_ts or not row.progress_channel:
            return
        message = await progress_message(services, row)
        if message == shown:
            return
        try:
            await services.port.update(MessageRef(row.progress_channel, row.progress_ts), message)
        except ChatError as exc:
            log.info("could not update the progress of %s: %s", v.session_id(session_id), exc)
            return
        shown = message


async def run_invite(services: Services, taken: claims.Taken) -> str:
    """The `calibrate.invite` timer: each participant's ballot and the facilitator's progress, once."""
    row = await store.get(services.db, int((taken.payload or {})["session"]))
    if row is None:
        return "gone"
    if row.status != store.OPEN:
        return "revealed"
    invited, unreached, transient = 0, [], None
    for member in await store.participants(services.db, row.session_id):
        try:
            await ballot.invite(services, row, member.user_id)
            invited += 1
        except ChatError as exc:  # one person out of reach does not stop the others
            log.info("could not invite %s to %s: %s", member.user_id, v.session_id(row.session_id), exc)
            if exc.code in UNREACHABLE:
                unreached.append((member.user_id, exc.code))
            else:
                transient = transient or exc
    if unreached:
        told = v.unreached_message(row, unreached)
        await once.dm(services, f"{taken.key}:unreached", "calibration", row.facilitator, told)

    async def recorded(sent: MessageRef) -> None:
        await store.record_progress(services.db, row.session_id, sent.channel, sent.ts)

    message = await progress_message(services, row)

    def send(key: str, look: bool):  # noqa: ANN202 - once.Send
        return services.port.dm(row.facilitator, message, key=key, look_first=look)

    await once.say(services, f"calibrate-progress:{row.session_id}", "calibration", send, then=recorded)
    await refresh_progress(services, row.session_id)  # votes may have come in meanwhile
    if transient is not None:  # tried again later; each invitation is claimed, so the others stay once
        raise transient
    return f"invited {invited}"


async def invite_failed(services: Services, taken: claims.Taken, error: str) -> None:
    """The invitations still failing after every retry: the facilitator hears who has no ballot."""
    row = await store.get(services.db, int((taken.payload or {})["session"]))
    if row is None:
        return
    members = await store.participants(services.db, row.session_id)
    code = error.removeprefix("ChatError: ").split(":")[0][:60]
    missing = [(m.user_id, code) for m in members if not m.dm_ts]
    if missing:
        told = v.unreached_message(row, missing)
        await once.dm(services, f"{taken.key}:gave-up", "calibration", row.facilitator, told)


async def run_remind(services: Services, taken: claims.Taken) -> str:
    """The `calibrate.remind` timer: a DM to each participant not finished, once each."""
    row = await store.get(services.db, int((taken.payload or {})["session"]))
    if row is None or row.status != store.OPEN:
        return "stale"
    total = len(await store.items(services.db, row.session_id))
    rated = await store.rated_counts(services.db, row.session_id)
    told = 0
    for member in await store.participants(services.db, row.session_id):
        if member.finished_at is not None:
            continue
        if not member.dm_ts:  # never got a ballot: the ballot itself (once), not "your ballot is above"
            try:
                await ballot.invite(services, row, member.user_id)
                told += 1
            except ChatError as exc:
                log.info("could not send %s their ballot: %s", member.user_id, exc)
            continue
        message = v.reminder_message(row, rated.get(member.user_id, 0), total, services.workspace.tz)
        try:
            sent = await once.dm(
                services, f"{taken.key}:{member.user_id}", "calibration", member.user_id, message
            )
        except ChatError as exc:
            log.info("could not remind %s: %s", member.user_id, exc)
            continue
        told += int(sent.won)
    return f"reminded {told}"
