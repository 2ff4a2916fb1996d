"""End-to-end harness: the real bot in HTTP mode on 127.0.0.1, the Slack fake, and a client that
talks to the bot exactly as Slack does (signed form-encoded commands, payload= interactions, JSON events)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import aiohttp

from bot.app import TsqaBot
from bot.config import Settings
from bot.context import utc_now
from bot.local.shapes import message_json
from bot.local.webapi import SlackWebAPI
from bot.routing import Router
from bot.workspace import Workspace
from handlers.queue_data.examples import load_example_data
from storage.engine import Database
from storage.migrate import upgrade
from tests.fakes import signing

# 10:15 in Dublin on 24 Nov 2026: every example digest (08:00-09:00 local) is due for the 23rd.
EXAMPLE_NOW = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)
SECRET = "test-signing-secret-0123456789"
TOKEN = "xoxb-test"


def seeded_fake(workspace: Workspace) -> SlackWebAPI:
    """The Slack fake holding the example workspace's people and channels, the bot in every channel."""
    fake = SlackWebAPI(bot_token=TOKEN)
    for person in workspace.people:
        fake.add_user(person.id, name=person.name.split()[0].lower(), real_name=person.name)
    people = [p.id for p in workspace.people]
    for channel in workspace.channels:
        fake.add_channel(channel.id, channel.name, members=people)
    return fake


def texts(blocks: Any) -> str:
    """Every piece of text in Block Kit JSON, one per line, to assert on what a person would read."""
    if isinstance(blocks, dict):
        own = [blocks["text"]] if isinstance(blocks.get("text"), str) else []
        return "\n".join(own + [texts(v) for k, v in blocks.items() if isinstance(v, dict | list)])
    if isinstance(blocks, list):
        return "\n".join(texts(item) for item in blocks)
    return ""


@dataclass
class Reply:
    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


class SlackSide:
    """Sends what Slack would send to the bot's /slack/events, signed with the shared secret."""

    def __init__(self, url: str, fake: SlackWebAPI, session: aiohttp.ClientSession):
        self.url = url
        self.fake = fake
        self.session = session

    async def post(
        self,
        kind: str,
        body: bytes,
        *,
        secret: str = SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = {**signing.signed_headers(secret, kind, body, timestamp), **(headers or {})}
        async with self.session.post(self.url, data=body, headers=sent) as response:
            return Reply(response.status, await response.text())

    async def command(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "U0LABEL01",
        channel: str = "C0QAOPS01",
        **kwargs: Any,
    ) -> Reply:
        body = signing.slash_command_body(
            command,
            text,
            user,
            channel,
            self.fake.new_response_url(channel, user),
            self.fake.new_trigger_id(user),
        )
        return await self.post("slash_command", body, **kwargs)

    async def event(self, event: dict[str, Any], event_id: str, *, retry: int | None = None) -> Reply:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.post("event", signing.event_body(event, event_id), headers=headers)

    async def action(
        self,
        action_id: str,
        value: str = "",
        *,
        user: str = "U0LABEL01",
        channel: str = "C0QAOPS01",
        message_ts: str | None = None,
        **extra: Any,
    ) -> Reply:
        message = {"ts": message_ts or f"{time.time():.6f}", "type": "message", "text": ""}
        body = signing.block_actions_body(
            user,
            [{"action_id": action_id, "value": value, **extra}],
            channel_id=channel,
            message=message,
            trigger_id=self.fake.new_trigger_id(user),
            response_url=self.fake.new_response_url(channel, user, message_ts=message["ts"]),
        )
        return await self.post("block_actions", body)

    async def shortcut(
        self,
        callback_id: str,
        message_ts: str,
        *,
        user: str = "U0LABEL01",
        channel: str = "C0QAOPS01",
    ) -> Reply:
        """A message shortcut chosen on a message the fake holds, sent as Slack sends message_action."""
        stored = self.fake.state.find_message(channel, message_ts)
        assert stored is not None, f"no message {message_ts} in {channel}: add_message it first"
        message = message_json(self.fake.state, stored, self.fake.base_url or "")
        body = signing.message_action_body(
            callback_id,
            user,
            channel,
            message,
            self.fake.new_trigger_id(user),
            self.fake.new_response_url(channel, user, message_ts=message_ts),
        )
        return await self.post("message_action", body)


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Wait for work that continues after the ack; returns the first truthy result."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.02)


def quiet(workspace: Workspace) -> Workspace:
    """No scheduled digests: none falls due mid-test."""
    return workspace.model_copy(update={"digests": []})


async def settled(bot: Any) -> None:  # noqa: ANN401
    """The bot's background work and its scheduler's running jobs done, and what each set going in
    the other: the bot's own timer poll runs on the test's clock too, and may be the one that took
    what just fell due."""
    while True:
        assert await bot.scheduler.settle(20), "a scheduler job still runs after 20 s"
        await bot.services.background.drain(10)
        if not bot.scheduler.busy and not len(bot.services.background):
            return


@asynccontextmanager
async def running_bot(
    workspace: Workspace,
    database_url: str,
    *,
    fake: SlackWebAPI | None = None,
    router: Router | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> AsyncIterator[tuple[TsqaBot, SlackSide]]:
    fake = fake or seeded_fake(workspace)
    await fake.start()
    settings = Settings(
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_app_token=None,
        slack_api_url=fake.api_url,
        database_url=database_url,
        host="127.0.0.1",
        port=0,
        _env_file=None,
    )
    bot = TsqaBot(settings, workspace, router=router, clock=clock)
    await bot.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield bot, SlackSide(f"http://127.0.0.1:{bot.http_port}/slack/events", fake, session)
    finally:
        await bot.stop()
        await fake.stop()


async def load_examples(database_url: str, workspace: Workspace, today: date, days: int = 21) -> None:
    """A migrated database holding `days` of synthetic queue data ending the day before `today`."""
    db = Database(database_url)
    await upgrade(db)
    await load_example_data(db, workspace, today, days=days)
    await db.dispose()
