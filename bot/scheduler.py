"""The one way to run timed work: APScheduler's AsyncIOScheduler in the bot's own event loop.

Jobs come from each capability's routes; they enter at the handler with the shared services.
Exactly-once effects are the job's business (claims in the database), not the scheduler's; work for
one thing at one time (a reminder, a page, a day's digest) is a durable timer that a core job polls.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import timers
from bot.context import Services
from bot.logs import log_request
from bot.routing import Job, JobRun, Router
from storage.claims import forget_done_before

log = logging.getLogger("tsqa.scheduler")

# How long a stop waits for running jobs before leaving them to their leases.
STOP_GRACE = 25.0


async def _forget_old_claims(services: Services) -> None:
    removed = await forget_done_before(services.db, services.clock())
    log.info("purged %d finished claims", removed)


def core_jobs(router: Router) -> list[Job]:
    async def poll_timers(services: Services) -> None:
        await timers.run_due(services, router.timers)

    jobs = [Job("core.forget-old-claims", IntervalTrigger(hours=6), _forget_old_claims)]
    if router.timers:
        jobs.append(Job("core.timers", IntervalTrigger(seconds=timers.POLL.total_seconds()), poll_timers))
    return jobs


class Scheduler:
    def __init__(self, services: Services, router: Router):
        self.services = services
        self.router = router
        self.scheduler = AsyncIOScheduler(timezone=services.workspace.tz)
        self._running: set[asyncio.Task[Any]] = set()

    def jobs(self) -> list[Job]:
        jobs = core_jobs(self.router)
        for source in self.router.job_sources:
            jobs.extend(source(self.services.workspace))
        return jobs

    def _wrapped(self, job_id: str, run: JobRun):  # noqa: ANN202
        """The job's body runs as a task of ours that APScheduler's shutdown cannot cancel mid-post."""

        async def body() -> None:
            start = time.perf_counter()
            outcome = "ok"
            try:
                await run(self.services)
            except Exception:
                outcome = "error"
                log.exception("job %s failed", job_id)
            finally:
                log_request("job", job_id, None, (time.perf_counter() - start) * 1000, outcome)

        async def wrapper() -> None:
            task = asyncio.ensure_future(body())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            await asyncio.shield(task)

        return wrapper

    def start(self) -> None:
        for job in self.jobs():
            self.scheduler.add_job(
                self._wrapped(job.id, job.run),
                trigger=job.trigger,
                id=job.id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=int(timedelta(hours=1).total_seconds()),
            )
        self.scheduler.start()

    @property
    def busy(self) -> bool:
        """Whether a job is running at this moment."""
        return bool(self._running)

    async def settle(self, timeout: float = 30.0) -> bool:
        """Wait for the jobs running now, and any they start meanwhile; whether none is left. For
        whoever needs the scheduler's work done before looking (a test that moved its clock, where the
        timer poll may have taken what just fell due)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._running:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return False
            await asyncio.wait(set(self._running), timeout=left)
        return True

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """No new runs; running jobs get `grace` seconds to finish. What is still running then is
        cancelled, and its claims' leases let the next start (or another replica) take it over."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if not self._running:
            return
        log.info("waiting up to %.0f s for %d running job(s)", grace, len(self._running))
        _, late = await asyncio.wait(set(self._running), timeout=grace)
        for task in late:
            task.cancel()
        if late:
            log.warning("%d job(s) did not finish in %.0f s and were cancelled", len(late), grace)
            await asyncio.wait(late, timeout=2.0)
