"""The one way to run timed work: APScheduler's AsyncIOScheduler in the bot's own event loop.

Jobs come from each capability's routes; they enter at the handler with the shared services.
Exactly-once effects are the job's business (claims in the database), not the scheduler's.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.context import Services
from bot.logs import log_request
from bot.routing import Job, JobRun, Router
from storage.claims import EVENT_RETENTION, forget_before

log = logging.getLogger("tsqa.scheduler")


def _logged(job_id: str, run: JobRun, services: Services):  # noqa: ANN202
    async def wrapper() -> None:
        start = time.perf_counter()
        outcome = "ok"
        try:
            await run(services)
        except Exception:
            outcome = "error"
            log.exception("job %s failed", job_id)
        finally:
            log_request("job", job_id, None, (time.perf_counter() - start) * 1000, outcome)

    return wrapper


async def _forget_old_events(services: Services) -> None:
    await forget_before(services.db, services.clock() - EVENT_RETENTION, ("event", "action"))


def core_jobs() -> list[Job]:
    return [Job("core.forget-old-events", IntervalTrigger(hours=6), _forget_old_events)]


class Scheduler:
    def __init__(self, services: Services, router: Router):
        self.services = services
        self.router = router
        self.scheduler = AsyncIOScheduler(timezone=services.workspace.tz)

    def jobs(self) -> list[Job]:
        jobs = core_jobs()
        for source in self.router.job_sources:
            jobs.extend(source(self.services.workspace))
        return jobs

    def start(self) -> None:
        for job in self.jobs():
            self.scheduler.add_job(
                _logged(job.id, job.run, self.services),
                trigger=job.trigger,
                id=job.id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=int(timedelta(hours=1).total_seconds()),
            )
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
