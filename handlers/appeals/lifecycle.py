"""An appeal's durable timers: the review thread (then the labeler's confirmation), the review-time
reminders, the outcome in the thread and to the labeler, and the weekly DM of appealable audits.

Each is a `storage.claims` timer made in the transaction that caused it, and each message is said once
under a key naming what it means, so restarts, retries and a second replica never repeat or drop one.
"""

from __future__ import annotations

import logging
from datetime import date, time, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot import once, timers
from bot.chat.model import Message, MessageRef
from bot.chat.port import ChatError
from bot.context import Services
from bot.routing import Job, Timer
from bot.workspace import Workspace
from handlers.appeals import access, store, window
from handlers.appeals import views as v
from handlers.queue_data import labelers
from storage import claims
from storage.models.appeals import OPEN, Appeal

log = logging.getLogger("tsqa.appeals")
WEEKLY_TIMER = "appeals.weekly"
TELL_AFTER = 8  # failed tries of a review thread (about two hours of back-off) before the admins hear
# The person cannot get a DM from the bot at all: no retry mends it.
UNREACHABLE = frozenset({"user_not_found", "cannot_dm_bot", "not_installed_for_user", "user_disabled",
                         "account_inactive", "channel_not_found", "users_not_found"})  # fmt: skip


async def _appeal(services: Services, taken: claims.Taken) -> Appeal:
    appeal = await store.get(services.db, int((taken.payload or {})["appeal"]))
    if appeal is None:
        raise LookupError(f"appeal {(taken.payload or {}).get('appeal')} is not stored")
    return appeal


def _due_day(appeal: Appeal, workspace: Workspace) -> date:
    return (appeal.due_at - timedelta(seconds=1)).astimezone(workspace.tz).date()


async def _thread(services: Services, appeal: Appeal) -> MessageRef:
    """The appeal's review thread, posted once; `Held` while another worker is posting it."""
    if appeal.thread_channel and appeal.thread_ts:
        return MessageRef(appeal.thread_channel, appeal.thread_ts)
    settings = services.workspace.appeals
    if settings is None:
        raise AppealsOff

    async def record(sent: MessageRef) -> None:
        await store.record_thread(services.db, appeal.appeal_id, sent.channel, sent.ts)

    message = v.thread_message(appeal, services.workspace)
    ref = await once.post_recorded(
        services, f"appeal-post:{appeal.appeal_id}", "appeals", settings.channel, message, record
    )
    if ref is None:
        raise claims.Held(f"appeal {appeal.appeal_id}'s thread is being posted by another worker")
    return ref


class AppealsOff(Exception):
    """The workspace file has no `appeals:` section (any more): nothing to post into."""


async def run_thread(services: Services, taken: claims.Taken) -> str:
    """`appeals.thread`: the review thread, then the labeler's confirmation with where and by when."""
    appeal = await _appeal(services, taken)
    if services.workspace.appeals is None:
        return "appeals off"
    try:
        ref = await _thread(services, appeal)
    except claims.Held:
        raise
    except Exception as exc:
        await _say_thread_fails(services, taken, appeal, exc)
        raise
    if access.auditor_unmapped(services.workspace, appeal):
        note = v.unmapped_auditor(appeal)
        await once.reply(services, f"appeal-unmapped:{appeal.appeal_id}", "appeals", ref, note)
    filed = v.filed_dm(appeal, services.workspace, ref.channel)
    await _tell(services, f"appeal-filed:{appeal.appeal_id}", appeal.user_id, filed)
    return "posted"


async def _say_thread_fails(
    services: Services, taken: claims.Taken, appeal: Appeal, error: Exception
) -> None:
    """After TELL_AFTER failed tries the admins hear it once; the timer keeps trying (hourly), so the
    thread appears as soon as the channel is mended."""
    if taken.attempts < TELL_AFTER:
        return
    settings = services.workspace.appeals
    where = settings.channel if settings else None
    message = v.thread_failed(appeal, where, claims.describe(error))
    # Once per channel and day, not per appeal: an outage must not become one DM per appeal filed.
    day = services.clock().astimezone(services.workspace.tz).date()
    await services.tell_admins(message, key=f"appeal-thread-failed:{where}:{day}")


async def _tell(services: Services, key: str, user: str, message: Message) -> bool:
    """A DM once; False when the person cannot get DMs at all (said in the log, not retried forever)."""
    try:
        await once.dm(services, key, "appeals", user, message)
    except ChatError as exc:
        if exc.code not in UNREACHABLE:
            raise
        log.info("could not DM %s: %s", user, exc)
        return False
    return True


async def run_remind(services: Services, taken: claims.Taken) -> str:
    """`appeals.remind`: in the thread, the reviewers (not the auditor) on the due day, then each
    working day late, up to window.MAX_REMINDERS; nothing once the appeal is decided."""
    appeal = await _appeal(services, taken)
    if appeal.status != OPEN:
        return "stale"
    workspace, settings = services.workspace, services.workspace.appeals
    if settings is None:
        return "appeals off"
    step = int((taken.payload or {})["step"])
    if step + 1 < window.MAX_REMINDERS:
        at = window.reminder_at(_due_day(appeal, workspace), step + 1, settings, workspace.tz)
        payload = {"appeal": appeal.appeal_id, "step": step + 1}
        await claims.schedule(services.db, f"appeal-remind:{appeal.appeal_id}:{step + 1}", store.REMIND_TIMER,
                              at, services.clock(), payload)  # fmt: skip
    ref = await _thread(services, appeal)
    auditors = await access.auditor_users(services, appeal.qa_auditor)
    who = sorted(await access.reviewers(services) - auditors - {appeal.user_id})
    current = await store.get(services.db, appeal.appeal_id)
    if current is None or current.status != OPEN:  # decided while the reviewers were looked up
        return "stale"
    message = v.reminder(appeal, step, who, workspace)
    await once.reply(services, f"{taken.key}:thread", "appeals", ref, message)
    return f"reminded {len(who)}"


async def run_decided(services: Services, taken: claims.Taken) -> str:
    """`appeals.decided`: the thread shows the outcome (buttons gone), says it once, and the labeler is
    told once."""
    appeal = await _appeal(services, taken)
    if services.workspace.appeals is None and not appeal.thread_ts:
        return "appeals off"
    ref = await _thread(services, appeal)
    await services.port.update(ref, v.thread_message(appeal, services.workspace))
    await once.reply(
        services,
        f"appeal-outcome:{appeal.appeal_id}",
        "appeals",
        ref,
        v.decided_reply(appeal, services.workspace),
    )
    told = await _tell(services, f"appeal-told:{appeal.appeal_id}", appeal.user_id,
                       v.decided_dm(appeal, services.workspace))  # fmt: skip
    return "told" if told else "labeler unreachable"


async def run_correct(services: Services, taken: claims.Taken) -> str:
    """`appeals.correct`: the overturn's difference into the stored daily figures, once."""
    done = await store.correct(
        services.db, services.workspace, int((taken.payload or {})["appeal"]), services.clock()
    )
    return "corrected" if done else "already corrected"


async def run_weekly(services: Services, taken: claims.Taken) -> str:
    """`appeals.weekly`: each labeler on a roster with audited disagreements still open to appeal gets
    one DM (one indexed query per person: the rosters, not the decisions, say who to ask about)."""
    workspace, settings = services.workspace, services.workspace.appeals
    if settings is None:
        return "appeals off"
    now = services.clock()
    since = window.opened_since(now, settings, workspace.tz)
    week = (taken.payload or {})["week"]
    told = 0
    for user, identities in sorted((await labelers.owners(services.db)).items()):
        items = [i for i in await store.disagreements(services.db, identities, since) if i.status is None]
        if items:
            message = v.mine_message(items, workspace, now, weekly=True)
            told += await _tell(services, f"appeals-weekly:{week}:{user}", user, message)
    return f"told {told}"


async def weekly_due(services: Services) -> None:
    """The cron job at `appeals.weekly_day`/`weekly_time`: this week's DM round becomes due, once."""
    now = services.clock()
    week = now.astimezone(services.workspace.tz).strftime("%G-W%V")
    await claims.schedule(services.db, f"appeals-weekly:{week}", WEEKLY_TIMER, now, now, {"week": week})
    await timers.run_due(services, services.timers)


def jobs(workspace: Workspace) -> list[Job]:
    settings = workspace.appeals
    if settings is None:
        return []
    at = time.fromisoformat(settings.weekly_time)
    trigger = CronTrigger(
        day_of_week=settings.weekly_day, hour=at.hour, minute=at.minute, timezone=workspace.tz
    )
    return [Job("appeals.weekly", trigger, weekly_due)]


TIMERS = (
    Timer(store.THREAD_TIMER, run_thread, max_attempts=100_000, max_backoff=timedelta(hours=1)),
    Timer(store.REMIND_TIMER, run_remind),
    # Never given up: an overturn the figures have not taken is retried hourly until they do.
    Timer(store.CORRECT_TIMER, run_correct, max_attempts=100_000, max_backoff=timedelta(hours=1)),
    Timer(store.DECIDED_TIMER, run_decided, max_attempts=50, max_backoff=timedelta(hours=1)),
    Timer(WEEKLY_TIMER, run_weekly),
)
