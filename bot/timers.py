"""Runs the durable timers that are due: each once, by one replica, retried with back-off.

APScheduler only drives the polling; the database (`storage.claims`) decides who does the work, so a
restart, a crash mid-run (the lease runs out) or a second replica never runs a timer twice or loses it.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.logs import log_request
from bot.routing import Timer
from storage import claims

if TYPE_CHECKING:
    from bot.context import Services

log = logging.getLogger("tsqa.timers")


def next_try(timer: Timer, taken: claims.Taken, now: datetime) -> datetime | None:
    """When to try again after a failure, or None when it is time to give up."""
    if taken.attempts >= timer.max_attempts:
        return None
    delay = min(timer.backoff * 2 ** (taken.attempts - 1), timer.max_backoff)
    retry_at = now + delay
    return None if past_until(taken, retry_at) else retry_at


def past_until(taken: claims.Taken, when: datetime) -> bool:
    """Whether `when` is after the timer's deadline (`until` in its payload), if it has one."""
    until = (taken.payload or {}).get("until")
    return bool(until) and when > datetime.fromisoformat(until)


async def run_one(services: Services, timer: Timer, taken: claims.Taken) -> str:
    """Run one won timer to its end: done, released for a later try, or given up (and said so)."""
    db, clock = services.db, services.clock
    try:
        async with claims.leased(db, taken.key, clock):
            result = await timer.run(services, taken)
    except claims.Held as held:  # not a failure: the work is in another worker's hands until then
        retry_at = held.until or clock() + timedelta(seconds=1)
        if past_until(taken, retry_at):
            return await _give_up(services, timer, taken, str(held))
        await claims.release(db, taken.key, retry_at=retry_at, uncount=True)
        return "waiting"
    except Exception as exc:
        error = claims.describe(exc)
        retry_at = next_try(timer, taken, clock())
        if retry_at is None:
            return await _give_up(services, timer, taken, error)
        log.warning(
            "timer %s failed (attempt %d), next try at %s: %s", taken.key, taken.attempts, retry_at, error
        )
        await claims.release(db, taken.key, retry_at=retry_at, error=error)
        return "retry"
    await claims.finish(db, taken.key, clock(), result)
    return "ok"


async def _give_up(services: Services, timer: Timer, taken: claims.Taken, error: str) -> str:
    log.error("timer %s failed for good after %d attempts: %s", taken.key, taken.attempts, error)
    await claims.give_up(services.db, taken.key, services.clock(), error)
    if timer.give_up is not None:
        await timer.give_up(services, taken, error)
    return "gave up"


async def run_due(services: Services, timers: dict[str, Timer], limit: int = 20) -> int:
    """Take and run what is due now; returns how many ran. Called by the poll job and after scheduling."""
    due = await claims.take_due(services.db, services.clock(), list(timers), limit=limit)
    for taken in due:
        start = time.perf_counter()
        outcome = "error"
        try:
            outcome = await run_one(services, timers[taken.kind], taken)
        except Exception:  # the database itself failed: the lease runs out and the timer runs again
            log.exception("timer %s could not be recorded", taken.key)
        finally:
            log_request("timer", taken.key, None, (time.perf_counter() - start) * 1000, outcome)
    return len(due)


POLL = timedelta(seconds=float(os.environ.get("TSQA_TIMER_POLL_SECONDS", "5")))
