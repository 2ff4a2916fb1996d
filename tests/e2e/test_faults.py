"""Faults only real processes show: SIGKILL right after Slack stored the digest, SIGTERM in the middle
of a post, and two replicas on one PostgreSQL. Each digest still appears exactly once, with its chart."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.local.webapi import SlackWebAPI
from bot.workspace import load_workspace
from storage.engine import Database
from storage.models import Claim
from tests.e2e.harness import eventually, load_examples, seeded_fake
from tests.e2e.processes import BotProcess, start_bot, workspace_file

# Short leases and polls so a crashed worker's claim is taken over within the test's seconds.
FAST = {"TSQA_LEASE_SECONDS": "2", "TSQA_TIMER_POLL_SECONDS": "0.5"}
# Replicas that all live: a lease long enough that a stall mid-post on a busy machine is not a takeover.
STEADY = {"TSQA_LEASE_SECONDS": "8", "TSQA_TIMER_POLL_SECONDS": "0.5"}
ALWAYS_DUE = [{"channel": "C0DIGEST1", "at": "00:00"}]  # yesterday's digest is due whenever a bot starts


def digest_posts(fake, channel: str = "C0DIGEST1") -> list:
    return [m for m in fake.messages_in(channel) if "Queue digest" in (m.text or "")]


def charts(fake) -> list:
    return fake.calls_to("files.completeUploadExternal")


async def loaded(database_url: str, workspace_path) -> None:
    workspace = load_workspace(workspace_path)
    await load_examples(database_url, workspace, datetime.now(UTC).astimezone(workspace.tz).date(), days=16)


@pytest.fixture
async def due(workspace, tmp_path) -> AsyncIterator[tuple[str, Path, SlackWebAPI]]:
    """A SQLite database with example data, a workspace whose digest is due at start, the Slack fake."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    ws_path = workspace_file(tmp_path, digests=ALWAYS_DUE)
    await loaded(url, ws_path)
    fake = seeded_fake(workspace)
    await fake.start()
    yield url, ws_path, fake
    await fake.stop()


async def unfinished_claims(database_url: str) -> list[str]:
    """Claims nobody has finished: work some process could still do (post, upload) later."""
    db = Database(database_url)
    async with db.transaction() as session:
        keys = list(await session.scalars(select(Claim.key).where(Claim.done_at.is_(None))))
    await db.dispose()
    return keys


async def signal_once_stored(fake: SlackWebAPI, bot: BotProcess, sig: signal.Signals) -> int:
    """Send `sig` from inside the fake as soon as it has stored the digest, before it answers; the
    process's exit code."""

    def once_stored() -> None:
        if digest_posts(fake) and bot.process.returncode is None:
            os.kill(bot.pid, sig)

    fake.listeners.append(once_stored)
    try:
        return await bot.wait()
    finally:
        fake.listeners.remove(once_stored)


async def test_sigkill_after_slack_stored_the_digest_does_not_post_it_twice(due, tmp_path) -> None:
    url, ws_path, fake = due
    first = await start_bot(fake, url, tmp_path, ws_path, **FAST)
    assert await signal_once_stored(fake, first, signal.SIGKILL) == -signal.SIGKILL
    assert len(digest_posts(fake)) == 1 and charts(fake) == []

    second = await start_bot(fake, url, tmp_path, ws_path, **FAST)
    await second.healthy()
    assert await eventually(lambda: charts(fake), 90), "the chart never came"
    second.process.send_signal(signal.SIGTERM)  # a stop finishes what is running...
    assert await second.wait() == 0
    assert await unfinished_claims(url) == []  # ...and nothing is left that could post later
    assert len(digest_posts(fake)) == 1  # found by its metadata key, not posted again
    assert len(charts(fake)) == 1


async def test_sigterm_during_a_post_finishes_it_and_records_it(due, tmp_path) -> None:
    url, ws_path, fake = due
    bot = await start_bot(fake, url, tmp_path, ws_path)
    assert await signal_once_stored(fake, bot, signal.SIGTERM) == 0
    db = Database(url)
    async with db.transaction() as session:
        rows = {
            c.key.split(":")[0]: c for c in await session.scalars(select(Claim).where(Claim.kind != "event"))
        }
    await db.dispose()
    post = rows["digest"]
    assert post.done_at is not None and post.result == digest_posts(fake)[0].ts  # recorded, not left leased
    assert rows["digest-job"].done_at is not None and rows["digest-job"].result == "posted"
    assert len(charts(fake)) == 1  # the chart timer made due by the post ran before the process ended


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_replicas_on_one_postgres_post_each_digest_once(workspace, database_url, tmp_path) -> None:
    ws_path = workspace_file(
        tmp_path,
        digests=[
            {"channel": "C0DIGEST1", "at": "00:00"},
            {"channel": "C0NWIND01", "at": "00:00", "vendors": ["northwind"]},
            {"channel": "C0BLUEB01", "at": "00:00", "vendors": ["bluebird"]},
        ],
    )
    await loaded(database_url, ws_path)
    fake = seeded_fake(workspace)
    await fake.start()
    try:
        bots = [await start_bot(fake, database_url, tmp_path, ws_path, **STEADY) for _ in range(2)]
        await asyncio.gather(*(bot.healthy() for bot in bots))
        assert await eventually(lambda: len(charts(fake)) >= 3, 90), "the charts never came"
        for bot in bots:  # a stop finishes what is running...
            bot.process.send_signal(signal.SIGTERM)
        assert [await bot.wait() for bot in bots] == [0, 0]
        assert await unfinished_claims(database_url) == []  # ...and nothing is left that could post later
        for channel in ("C0DIGEST1", "C0NWIND01", "C0BLUEB01"):
            assert len(digest_posts(fake, channel)) == 1, channel
        assert len(charts(fake)) == 3
    finally:
        await fake.stop()
