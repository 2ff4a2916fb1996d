"""The ChatPort on Slack's Web API, with retries for rate limits, server and connection errors."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.model import Form, Home, Markup, Message, MessageRef, md
from bot.chat.port import ChatError, SharedFile
from bot.slack import render
from bot.slack.keyed import KeyedPoster

HINTS = {
    "not_in_channel": "invite the bot to the channel first: type `/invite @tsqa` in it",
    "channel_not_found": "check the channel ID in the workspace YAML (right-click the channel, Copy link)",
    "missing_scope": "add the missing scope in the app's OAuth settings (see manifest.yml) and reinstall",
    "is_archived": "the channel is archived: unarchive it or choose another in the workspace YAML",
    "user_not_found": "check the user ID in the workspace YAML",
    "no_such_subteam": "check the usergroup ID (S…) in the workspace YAML",
    "expired_trigger_id": "the form took too long to open; run the command again",
    "invalid_auth": "SLACK_BOT_TOKEN is wrong or revoked: copy the Bot User OAuth Token again",
}


# Writes that would appear twice if sent again after Slack stored them. chat.postMessage never goes
# through the retrying client (see bot/slack/keyed.py); these are not retried after an uncertain failure.
NOT_IDEMPOTENT = ("chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal")


def _idempotent(request: HttpRequest) -> bool:
    return not request.url.rstrip("/").endswith(NOT_IDEMPOTENT)


class _ConnectionErrorRetry(AsyncConnectionErrorRetryHandler):
    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:  # noqa: ANN001
        return _idempotent(request) and await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class _ServerErrorRetry(AsyncServerErrorRetryHandler):
    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:  # noqa: ANN001
        return _idempotent(request) and await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


def make_client(token: str, base_url: str) -> AsyncWebClient:
    """429s are always retried (nothing was done); connection errors and 5xx only for calls that
    are safe to repeat, since Slack may have done the work before the answer was lost."""
    client = AsyncWebClient(token=token, base_url=base_url)
    client.retry_handlers = [
        _ConnectionErrorRetry(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        _ServerErrorRetry(max_retry_count=2),
    ]
    return client


async def _read_at_most(response: aiohttp.ClientResponse, name: str, max_bytes: int | None) -> bytes:
    chunks, total = [], 0
    async for chunk in response.content.iter_any():  # as received: no re-slicing on the event loop
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise ChatError("file_too_large", f"{name} is larger than the limit of {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _chat_error(exc: SlackApiError) -> ChatError:
    code = exc.response.get("error", "unknown_error") if exc.response is not None else "unknown_error"
    hint = HINTS.get(code, "")
    if code == "missing_scope" and exc.response is not None:
        hint = f"the app needs scope `{exc.response.get('needed', '?')}`: {hint}"
    return ChatError(code, hint)


MAX_KNOWN_DMS = 20_000
BOTS_TTL = 3600.0  # seconds: a bot added to the workspace is left out of member lists within the hour
SLACKBOT = "USLACKBOT"  # users.list says is_bot: false for it


class SlackPort:
    def __init__(self, client: AsyncWebClient):
        self.client = client
        self.keyed = KeyedPoster(client, own_user=self.own_user)
        self._dms: dict[str, str] = {}
        self._identity: dict[str, Any] | None = None
        self._bots: tuple[float, frozenset[str]] | None = None  # (read at, bot user IDs): channel_members

    def join_hint(self, channel: Markup) -> Markup:
        return md("type `/invite @tsqa` in {}", channel)

    async def open(self) -> None:
        """One HTTP session for every Web API call, kept open: without it slack_sdk opens (and closes)
        a session and a TCP connection per call, most of a click's cost under load."""
        if self.client.session is None or self.client.session.closed:
            session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.client.timeout))
            self.client.session = session
            self.keyed.writer.session = session

    async def close(self) -> None:
        session = self.client.session
        if session is not None and not session.closed:
            await session.close()

    async def call(self, method: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise _chat_error(exc) from exc

    async def identity(self) -> dict[str, Any]:
        """auth.test's answer, asked once: who the bot is does not change while it runs, and the app's
        sign-in, the keyed poster and handlers all need it."""
        if self._identity is None:
            response = await self.call("auth_test")
            self._identity = dict(response.data)
        return self._identity

    async def own_user(self) -> str:
        return str((await self.identity())["user_id"])

    async def _post_pages(
        self, channel: str, message: Message, thread_ts: str | None, key: str | None, look_first: bool
    ) -> MessageRef:
        """Each page once: page i carries `key#i`, and an uncertain failure looks for it before trying
        again. Without a `key` (a reply nobody else could make) a fresh one still guards this call."""
        key = key or f"post:{uuid.uuid4().hex}"
        first: MessageRef | None = None
        for index, page in enumerate(render.message_pages(message)):
            content = {"text": render.fallback_text(message), "blocks": page, "unfurl_links": False}
            page_key = key if index == 0 else f"{key}#{index}"
            try:
                ref = await self.keyed.post(
                    channel=channel, thread_ts=thread_ts, key=page_key, look_first=look_first, **content
                )
            except SlackApiError as exc:
                raise _chat_error(exc) from exc
            first = first or ref
        assert first is not None
        return first

    async def post(
        self, channel: str, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef:
        return await self._post_pages(channel, message, None, key, look_first)

    async def reply(
        self, thread: MessageRef, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef:
        return await self._post_pages(thread.channel, message, thread.ts, key, look_first)

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self.call(
            "chat_update",
            channel=ref.channel,
            ts=ref.ts,
            text=render.fallback_text(message),
            blocks=render.message_truncated(message),
        )

    async def ephemeral(
        self, channel: str, user: str, message: Message, *, thread: MessageRef | None = None
    ) -> None:
        await self.call(
            "chat_postEphemeral",
            channel=thread.channel if thread else channel,
            user=user,
            text=render.fallback_text(message),
            blocks=render.message_truncated(message),
            thread_ts=thread.ts if thread else None,
        )

    async def _dm_channel(self, user: str) -> str:
        """A person's DM with the bot never changes: asked once, not before every DM."""
        if (known := self._dms.get(user)) is not None:
            return known
        response = await self.call("conversations_open", users=user)
        channel = response["channel"]["id"]
        if len(self._dms) >= MAX_KNOWN_DMS:
            self._dms.pop(next(iter(self._dms)))
        self._dms[user] = channel
        return channel

    async def dm(
        self, user: str, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef:
        return await self.post(await self._dm_channel(user), message, key=key, look_first=look_first)

    async def open_form(self, trigger: str, form: Form) -> None:
        await self.call("views_open", trigger_id=trigger, view=render.form_view(form))

    async def publish_home(self, user: str, home: Home) -> None:
        await self.call("views_publish", user_id=user, view=render.home_view(home))

    async def upload_file(
        self,
        channel: str,
        filename: str,
        content: bytes,
        *,
        title: str = "",
        thread: MessageRef | None = None,
        look_first: bool = False,
    ) -> None:
        if not channel.startswith(("C", "G", "D")):
            channel = await self._dm_channel(channel)  # files_upload_v2 needs a conversation ID
        if look_first and await self.keyed.find_file(channel, thread.ts if thread else None, filename):
            return  # an earlier attempt's upload arrived: not again
        await self.call(
            "files_upload_v2",
            channel=channel,
            filename=filename,
            content=content,
            title=title or filename,
            thread_ts=thread.ts if thread else None,
        )

    async def download_file(
        self, file_id: str, channel: str, *, max_bytes: int | None = None, content: bool = True
    ) -> SharedFile:
        info = await self.call("files_info", file=file_id)
        file = info["file"]
        name, size = file.get("name", file_id), int(file.get("size") or 0)
        shares = {
            **(file.get("shares") or {}).get("public", {}),
            **(file.get("shares") or {}).get("private", {}),
        }
        share = (shares.get(channel) or [{}])[0]
        thread = MessageRef(channel, share.get("thread_ts") or share["ts"]) if share.get("ts") else None
        if max_bytes is not None and size > max_bytes:
            raise ChatError("file_too_large", f"{name} is {size:,} bytes, above the limit of {max_bytes:,}")
        if not content:
            return SharedFile(name, b"", thread, size)
        url = file.get("url_private_download") or file.get("url_private")
        data = await self._fetch(url, name, max_bytes)
        return SharedFile(name, data, thread, len(data))

    async def _fetch(self, url: str, name: str, max_bytes: int | None, attempts: int = 3) -> bytes:
        """GET a file's bytes; a dropped connection or a 5xx/429 is tried again (files sit behind
        a CDN that has bad moments), and a body larger than announced is cut off at `max_bytes`."""
        headers = {"Authorization": f"Bearer {self.client.token}"}
        for attempt in range(1, attempts + 1):
            try:
                async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
                    if response.status == 200:
                        return await _read_at_most(response, name, max_bytes)
                    if response.status < 500 and response.status != 429 or attempt == attempts:
                        raise ChatError("file_download_failed", f"HTTP {response.status} for {name}")
            except (aiohttp.ClientError, TimeoutError):
                if attempt == attempts:
                    raise
            await asyncio.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    async def _paged(self, method: str, key: str, **kwargs: Any) -> list[str]:
        items: list[str] = []
        cursor = None
        while True:
            response = await self.call(method, cursor=cursor, limit=500, **kwargs)
            items += response[key]
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return items

    async def channel_members(self, channel: str) -> list[str]:
        """The channel's people: bot and app users (the bot itself too) left out."""
        members = await self._paged("conversations_members", "members", channel=channel)
        bots = await self._bot_users()
        return [m for m in members if m not in bots]

    async def _bot_users(self) -> frozenset[str]:
        """Every bot user of the workspace from users.list, read again after BOTS_TTL. users.info per
        member would cost one call per person (1,000 for a channel of 1,000, at Tier 4's ~100 a minute);
        users.list costs one call per 200 people of the whole workspace (5 for 1,000), once an hour."""
        now = time.monotonic()
        if self._bots is None or now - self._bots[0] > BOTS_TTL:
            bots: set[str] = set()
            cursor = None
            while True:
                response = await self.call("users_list", cursor=cursor, limit=200)
                # Not `is_app_user`: Slack sets it on people who authorised the app, who are members.
                bots |= {u["id"] for u in response["members"] if u.get("is_bot") or u["id"] == SLACKBOT}
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
            self._bots = (now, frozenset(bots))
        return self._bots[1]

    async def is_member(self, channel: str) -> bool:
        response = await self.call("conversations_info", channel=channel)
        return bool(response["channel"].get("is_member"))

    async def usergroup_members(self, usergroup: str) -> list[str]:
        response = await self.call("usergroups_users_list", usergroup=usergroup)
        return list(response["users"])

    async def permalink(self, ref: MessageRef) -> str:
        response = await self.call("chat_getPermalink", channel=ref.channel, message_ts=ref.ts)
        return response["permalink"]
