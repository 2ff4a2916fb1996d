"""Fixtures shared by the unit tests that are split by theme: the Web API fake with a slack_sdk client
(`clock`, `fake`, `client`), and the local workspace next to a stub bot (`setup`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.webapi import SlackWebAPI
from bot.workspace import Workspace
from storage.engine import Database
from tests.unit.local_workspace_harness import Setup, StubBot, _started
from tests.unit.webapi_fake_harness import ALICE, BOB, CAROL, QA, FakeClock

# ----- the Web API fake -----


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def fake(clock: FakeClock) -> AsyncIterator[SlackWebAPI]:
    async with SlackWebAPI(clock=clock) as api:
        api.add_user(ALICE, "alice", real_name="Alice Example", email="alice@example.com", tz="Europe/Dublin")
        api.add_user(BOB, "bob", email="bob@example.com")
        api.add_user(CAROL, "carol")
        api.add_channel(QA, "qa-review", members=[ALICE, BOB])
        api.add_usergroup("S0LEADS01", [ALICE, CAROL])
        yield api


@pytest.fixture
def client(fake: SlackWebAPI) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake.api_url)


# ----- the local workspace -----


@pytest.fixture
async def setup(workspace: Workspace, sqlite_db: Database) -> AsyncIterator[Setup]:
    bot = StubBot()
    local, server = await _started(workspace, sqlite_db, bot)
    async with aiohttp.ClientSession() as session:
        yield Setup(local, bot, session, str(server.make_url("")).rstrip("/"))
    await server.close()
