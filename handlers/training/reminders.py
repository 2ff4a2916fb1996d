"""The durable timers of a cohort: the welcome, reminders, knowledge checks, roll calls and move notices.

Each timer reads the cohort when it fires and does nothing when the session has moved on (its sequence
is no longer the timer's) or the cohort was closed. Each person's message is its own claim under the
timer's key, so a retry after a crash or a failed DM tells only those not told yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot import once
from bot.chat.model import Message
from bot.chat.port import ChatError
from bot.context import Services
from bot.routing import Timer
from handlers.quiz.assign import Request, Target, assign
from handlers.training import attendance, lifecycle
from handlers.training import views as v
from handlers.training.cohort import Cohort
from handlers.training.schedule import Session, next_working_day
from storage import claims

log = logging.getLogger("tsqa.training")
# A person the bot cannot DM at all: no retry mends it, so it is logged and the rest are told.
UNREACHABLE = frozenset(
    {"user_not_found", "cannot_dm_bot", "not_installed_for_user", "user_disabled", "account_inactive",
     "users_not_found", "channel_not_found"}
)  # fmt: skip


def settled(taken: claims.Taken) -> claims.Taken:
    """The claim when its work is done; Held while another worker's lease on it lives (it may have
    crashed mid-send), so the timer waits and looks again instead of counting the person as told."""
    if not taken.won and not taken.done:
        raise claims.Held(taken.key, taken.lease_until)
    return taken


# The channel will not take the post (the bot is not in it, it is gone): the creator hears why, and the
# members are welcomed all the same.
NOT_POSTABLE = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "forbidden", "restricted_action"}
)


async def _tell(services: Services, key: str, person: str, message: Message) -> bool:
    """One DM under `key`; False when the person cannot be reached (others are still told)."""
    try:
        settled(await once.dm(services, key, "training", person, message))
    except ChatError as exc:
        if exc.code not in UNREACHABLE:
            raise  # passing (a rate limit, a 5xx): the timer tries again; those told stay told
        log.info("could not tell %s: %s", person, exc)
        return False
    return True


async def _tell_each(
    services: Services, key: str, people: list[str], message: Callable[[str], Message]
) -> int:
    """Each person's own message under `key`:person; how many were reached."""
    told = 0
    for person in people:
        told += await _tell(services, f"{key}:{person}", person, message(person))
    return told


async def _current(services: Services, taken: claims.Taken) -> tuple[Cohort, Session] | None:
    """The cohort and session this timer is for, while it still applies."""
    payload = taken.payload or {}
    cohort = await lifecycle.load(services, int(payload["cohort"]))
    if cohort is None or cohort.status != "active":
        return None
    session = cohort.session(str(payload["session"]))
    if session is None or session.sequence != int(payload["sequence"]):
        return None
    return cohort, session


async def run_welcome(services: Services, taken: claims.Taken) -> str:
    """The cohort posted where it was made (else to its creator), and each member's first DM."""
    payload = taken.payload or {}
    cohort = await lifecycle.load(services, int(payload["cohort"]))
    if cohort is None:
        return "gone"
    site = lifecycle.site_of(services.workspace, cohort)
    if site is not None:
        go_live = f"{next_working_day(site, cohort.sessions[-1].day):%a %d %b %Y}"
        created = v.created_message(cohort, site, go_live, payload.get("notes", []))
        where = f"{taken.key}:posted"
        if cohort.channel:
            try:
                settled(await once.post(services, where, "training", cohort.channel, created))
            except ChatError as exc:
                if exc.code not in NOT_POSTABLE:
                    raise  # passing: the timer tries again
                log.info("could not post cohort %s in %s: %s", cohort.name, cohort.channel, exc)
                missing = v.not_posted(cohort, cohort.channel, exc.hint or exc.code)
                await _tell(services, f"{where}:creator", cohort.created_by, missing)
        else:
            await _tell(services, where, cohort.created_by, created)
    roles = {m.user_id: m.role for m in cohort.members}
    told = await _tell_each(services, taken.key, list(roles), lambda p: v.welcome_dm(cohort, roles[p]))
    return f"welcomed {told}"


async def run_remind(services: Services, taken: claims.Taken) -> str:
    found = await _current(services, taken)
    if found is None:
        return "stale"
    cohort, session = found
    lead = int((taken.payload or {})["lead"])
    attended = cohort.attended(session)
    labelers = {m.user_id for m in cohort.labelers}

    def message(person: str) -> Message:
        return v.reminder_dm(cohort, session, lead, attended and person in labelers)

    told = await _tell_each(services, taken.key, [m.user_id for m in cohort.members], message)
    return f"reminded {told}"


async def run_check(services: Services, taken: claims.Taken) -> str:
    """A knowledge check is due: its quiz topic is assigned to the labelers, due the session's day.
    The quiz's own claims make a repeat tell nobody twice."""
    found = await _current(services, taken)
    if found is None:
        return "stale"
    cohort, session = found
    module = cohort.plan.module(session.module_id)
    if module is None or not module.quiz:
        return "no quiz"
    targets = tuple(Target("user", m.user_id) for m in cohort.labelers)
    by = cohort.trainers[0] if cohort.trainers else cohort.created_by
    summary = await assign(services, Request(module.quiz, targets, session.start.date()), by)
    if summary is not None and (missed := summary.who("unreached")):
        # The quiz tells each person once under its own key; a retry reaches those not reached yet.
        raise RuntimeError(f"{len(missed)} labelers not told of {module.quiz} yet: {', '.join(missed[:5])}")
    if summary is None:
        missing = v.missing_quiz(cohort, session, module.quiz)
        for trainer in cohort.trainers or [cohort.created_by]:
            await _tell(services, f"{taken.key}:missing:{trainer}", trainer, missing)
        return f"no topic {module.quiz}"
    return f"assigned {len(summary.outcomes)}"


async def run_roll(services: Services, taken: claims.Taken) -> str:
    """A session ended: its trainers get the roll call, to mark who was absent or excused."""
    found = await _current(services, taken)
    if found is None:
        return "stale"
    cohort, session = found
    marks = await attendance.of_session(services.db, cohort.id, session.id)
    message = v.roll_message(cohort, session, marks)
    told = await _tell_each(services, taken.key, cohort.trainers, lambda _: message)
    return f"roll to {told}"


async def run_moved(services: Services, taken: claims.Taken) -> str:
    """One notice per person for one move, listing the sessions that moved and their new times."""
    payload = taken.payload or {}
    cohort = await lifecycle.load(services, int(payload["cohort"]))
    if cohort is None:
        return "gone"
    moved = [s for s in cohort.sessions if s.id in set(payload.get("sessions", []))]
    if not moved:
        return "nothing moved"
    message = v.moved_dm(cohort, moved)
    told = await _tell_each(services, taken.key, [m.user_id for m in cohort.members], lambda _: message)
    return f"told {told}"


TIMERS = (
    Timer(lifecycle.WELCOME, run_welcome, max_attempts=5),
    Timer(lifecycle.REMIND, run_remind, max_attempts=5),
    Timer(lifecycle.CHECK, run_check, max_attempts=5),
    Timer(lifecycle.ROLL, run_roll, max_attempts=5),
    Timer(lifecycle.MOVED, run_moved, max_attempts=5),
)
