"""Slack's side of the bot's request URL: signed POSTs to /slack/events, made as Slack makes them."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.local.outbound import signed_headers

log = logging.getLogger("tsqa.local")

# Slack gives up on a request URL after three seconds and shows the person an error.
SLACK_TIMEOUT = 3.0


@dataclass(frozen=True)
class Delivery:
    """What the bot answered: its HTTP status and body, or status 0 with `error` when it did not answer."""

    status: int
    body: str = ""
    content_type: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    def json(self) -> Any:
        """The ack as JSON, `None` when empty or not JSON (Slack treats plain text as a message)."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class BotLink:
    """Sends requests to the bot like Slack does; one HTTP session for the workspace's lifetime."""

    def __init__(self, events_url: str, signing_secret: str, *, timeout: float = SLACK_TIMEOUT) -> None:
        self.events_url = events_url
        self.signing_secret = signing_secret
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def send(self, kind: str, body: bytes, *, retry: int | None = None) -> Delivery:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        headers = signed_headers(self.signing_secret, kind, body)
        if retry:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        try:
            async with self._session.post(self.events_url, data=body, headers=headers) as response:
                text = await response.text()
                return Delivery(response.status, text, response.content_type)
        except TimeoutError:
            log.warning("the bot did not answer a %s within %.0f s", kind, self.timeout)
            return Delivery(0, error="operation_timeout")
        except aiohttp.ClientError as exc:
            log.warning("could not reach the bot for a %s: %s", kind, exc)
            return Delivery(0, error="dispatch_failed")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            await asyncio.sleep(0)  # let aiohttp close its connector's transports
