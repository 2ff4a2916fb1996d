"""`Scheduler.settle`: tests that move their clock wait on it for the bot's own timer poll, so it must
wait for every running job, including one a job starts meanwhile, and say when it gave up."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from bot.routing import Router
from bot.scheduler import Scheduler


def scheduler() -> Scheduler:
    services: Any = SimpleNamespace(workspace=SimpleNamespace(tz=ZoneInfo("Europe/Dublin")))
    return Scheduler(services, Router())


async def test_settle_waits_for_running_jobs_and_those_they_start() -> None:
    jobs = scheduler()
    assert not jobs.busy and await jobs.settle(0.1)
    go, release, finished = asyncio.Event(), asyncio.Event(), []

    async def second(_services: Any) -> None:  # noqa: ANN401
        await release.wait()
        finished.append("second")

    async def first(_services: Any) -> None:  # noqa: ANN401
        await go.wait()
        asyncio.ensure_future(jobs._wrapped("second", second)())
        await asyncio.sleep(0)
        finished.append("first")

    started = asyncio.ensure_future(jobs._wrapped("first", first)())
    await asyncio.sleep(0.01)
    assert jobs.busy
    assert await jobs.settle(0.05) is False  # the first job waits on its event: given up, and said so
    settling = asyncio.ensure_future(jobs.settle(5))
    await asyncio.sleep(0.01)
    go.set()  # the first job starts the second, then ends
    await asyncio.sleep(0.05)
    assert finished == ["first"] and not settling.done()  # still waiting: for the job started meanwhile
    release.set()
    assert await settling is True
    assert finished == ["first", "second"] and not jobs.busy
    await started
