"""What the queue data registers: uploaded queue-data files, the watched folder, retention of raw
decisions, and the example data of a new local workspace. No commands: readers have their own."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.context import Services
from bot.routing import Job, Router
from bot.workspace import Workspace
from handlers.queue_data import files, uploads, watch
from handlers.queue_data.examples import load_example_data


async def seed_example_data(services: Services) -> None:
    """A new local workspace starts with four weeks of synthetic queue data ending yesterday."""
    now = services.clock()
    await load_example_data(
        services.db, services.workspace, now.astimezone(services.workspace.tz).date(), now=now
    )


def jobs(workspace: Workspace) -> list[Job]:
    found = []
    if workspace.ingest.watch_dir:
        found.append(
            Job(
                "queue_data.watch-dir",
                IntervalTrigger(seconds=workspace.ingest.watch_seconds),
                watch.poll_watch_dir,
            )
        )
    found.append(
        Job(
            "queue_data.retention", CronTrigger(hour=3, minute=17, timezone=workspace.tz), files.purge_expired
        )
    )
    return found


def register(router: Router) -> None:
    router.on_file(uploads.file_shared)
    router.jobs(jobs)
    router.on_local_seed(seed_example_data)
