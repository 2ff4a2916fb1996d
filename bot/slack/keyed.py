"""Posting exactly once when the connection is unreliable: the message carries its own key.

A dropped connection or a 5xx after `chat.postMessage` leaves it unknown whether Slack stored the
message, and slack_sdk's retry handlers would simply send it again (two messages). A keyed post goes
out with message metadata `{"event_type": "tsqa_post", "event_payload": {"key": …}}` on a client that
only retries 429s; after an uncertain failure, or when an earlier attempt may have got part-way (a
lease taken over after a crash), it looks for its key with `conversations.history` (or `.replies`
in a thread) before posting again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.model import MessageRef
from bot.chat.port import ChatError

log = logging.getLogger("tsqa.slack.keyed")

EVENT_TYPE = "tsqa_post"
ATTEMPTS = 3
LOOKBACK = timedelta(days=1)
SCAN_LIMIT = 200


def _uncertain(exc: BaseException) -> bool:
    """Failures after which the message may or may not be in the channel."""
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError):
        return True
    return isinstance(exc, SlackApiError) and exc.response is not None and exc.response.status_code >= 500


def _key_of(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != EVENT_TYPE:
        return None
    return (metadata.get("event_payload") or {}).get("key")


class KeyedPoster:
    """`post` sends one page of a message at most once per key."""

    def __init__(self, client: AsyncWebClient, *, own_user: Callable[[], Awaitable[str]], pause: float = 1.0):
        self.reader = client  # reads are safe to retry: the port's client with every retry handler
        self.writer = AsyncWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
        )
        self.pause = pause
        self.own_user = own_user  # the port's, asked once for the whole process

    async def find(self, channel: str, thread_ts: str | None, key: str) -> MessageRef | None:
        """The message posted under `key` in the last day (or in the thread), if Slack has it."""
        return await self._scan(channel, thread_ts, lambda message: _key_of(message) == key)

    async def find_file(self, channel: str, thread_ts: str | None, filename: str) -> MessageRef | None:
        """A message of ours carrying a file of that name: uploads cannot carry a key of their own."""
        try:
            own = await self.own_user()
        except ChatError as exc:  # better a possible second chart than none
            log.warning("could not look for file %s in %s: %s", filename, channel, exc.code)
            return None

        def shared(message: dict[str, Any]) -> bool:
            names = [f.get("name") for f in message.get("files") or []]
            return message.get("user") == own and filename in names

        try:
            return await self._scan(channel, thread_ts, shared)
        except SlackApiError as exc:  # better a possible second chart than none
            log.warning("could not look for file %s in %s: %s", filename, channel, exc.response.get("error"))
            return None

    async def _scan(
        self, channel: str, thread_ts: str | None, wanted: Callable[[dict[str, Any]], bool]
    ) -> MessageRef | None:
        args: dict[str, Any] = {"channel": channel, "include_all_metadata": True, "limit": 100}
        if thread_ts:
            method, args["ts"] = self.reader.conversations_replies, thread_ts
        else:
            method = self.reader.conversations_history
            args["oldest"] = f"{(datetime.now(UTC) - LOOKBACK).timestamp():.6f}"
        seen = 0
        cursor = None
        while seen < SCAN_LIMIT:
            response = await method(**args, cursor=cursor)
            messages = response.get("messages") or []
            for message in messages:
                if wanted(message):
                    return MessageRef(channel, message["ts"])
            seen += len(messages)
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor or not messages:
                return None
        return None

    async def _find_or_none(self, channel: str, thread_ts: str | None, key: str) -> MessageRef | None:
        try:
            return await self.find(channel, thread_ts, key)
        except SlackApiError as exc:  # e.g. missing_scope: better a possible duplicate than a lost post
            log.warning("could not look for post %s in %s: %s", key, channel, exc.response.get("error"))
            return None

    async def post(
        self, *, channel: str, thread_ts: str | None, key: str, look_first: bool, **content: Any
    ) -> MessageRef:
        if look_first and (found := await self._find_or_none(channel, thread_ts, key)):
            log.info("post %s was already in %s", key, channel)
            return found
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"key": key}}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self.writer.chat_postMessage(
                    channel=channel, thread_ts=thread_ts, metadata=metadata, **content
                )
                return MessageRef(response["channel"], response["ts"])
            except Exception as exc:
                if not _uncertain(exc) or attempt == ATTEMPTS:
                    raise
                log.warning("post %s to %s: %s; looking before trying again", key, channel, exc)
                if found := await self._find_or_none(channel, thread_ts, key):
                    return found
                await asyncio.sleep(self.pause * attempt)
        raise AssertionError("unreachable")
