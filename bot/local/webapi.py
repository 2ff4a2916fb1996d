"""An aiohttp server that answers the part of Slack's Web API the bot uses, exactly as Slack answers.

Tests point a real slack_sdk client at it; the local browser workspace adds its `routes()` to the bot's
own server. It records every call, keeps a small workspace in `WorkspaceState`, can inject failures, and
tells listeners when something visible changed.
"""

from __future__ import annotations

import json
import mimetypes
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.local import methods_history  # noqa: F401  (registers conversations.history and .replies)
from bot.local.guard import local_only
from bot.local.methods import METHODS, Context
from bot.local.methods_ui import respond
from bot.local.request_body import bearer, read_args, read_upload
from bot.local.state import Call, Channel, Message, ResponseUrl, SlackError, User, WorkspaceState

# Methods that only read: answering them is not a change the browser workspace must show or save.
READ_ONLY = frozenset(
    {
        "auth.test",
        "chat.getPermalink",
        "conversations.history",
        "conversations.info",
        "conversations.members",
        "conversations.replies",
        "files.info",
        "usergroups.users.list",
        "users.info",
        "users.lookupByEmail",
    }
)
# Shown inline by a browser; anything else (SVG and HTML included) is only ever downloaded.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: int | None
    times: int
    drop: bool = False  # do the work, then close the connection without an answer


class SlackWebAPI:
    """A fake Slack Web API with its own workspace; every request lands in `calls`."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test",
        bot_user_id: str = "UBOT0001",
        team_id: str = "T0TEST01",
        team_domain: str = "tsqa-local",
        bot_name: str = "tsqa",
        clock: Callable[[], float] = time.time,
        state: WorkspaceState | None = None,
        keep_calls: int | None = None,
    ) -> None:
        """`keep_calls` bounds the call log for long runs (the browser workspace); tests keep all."""
        self.bot_token = bot_token
        self.clock = clock
        self.keep_calls = keep_calls
        self.version = 0
        self.listeners: list[Callable[[], None]] = []
        self.state = state or WorkspaceState(
            team_id=team_id, team_domain=team_domain, bot_user_id=bot_user_id
        )
        if self.state.bot_user_id not in self.state.users:
            self.add_user(self.state.bot_user_id, bot_name, real_name=bot_name, is_bot=True)
        self.base_url: str | None = None
        self._faults: dict[str, list[_Fault]] = {}
        self._runner: web.AppRunner | None = None

    # ----- seeding -----

    def add_user(
        self,
        id: str,
        name: str,
        *,
        real_name: str = "",
        email: str | None = None,
        is_bot: bool = False,
        tz: str = "UTC",
    ) -> User:
        user = User(id, name, real_name or name, email, is_bot, tz)
        self.state.users[id] = user
        return user

    def add_channel(
        self,
        id: str,
        name: str,
        members: Iterable[str] = (),
        *,
        is_private: bool = False,
        bot_member: bool = True,
    ) -> Channel:
        """A channel the bot is in unless `bot_member=False` (to provoke not_in_channel)."""
        member_set = set(members)
        if bot_member:
            member_set.add(self.state.bot_user_id)
        else:
            member_set.discard(self.state.bot_user_id)
        channel = Channel(id, name, is_private, member_set, created=int(self.clock()))
        self.state.channels[id] = channel
        return channel

    def add_usergroup(self, id: str, users: Iterable[str]) -> None:
        self.state.usergroups[id] = list(users)

    def add_message(
        self, channel: str, user: str, text: str, *, thread_ts: str | None = None, blocks: list | None = None
    ) -> Message:
        """A message a person posted, so tests can reply to it or thread under it."""
        channel_id = self.dm_channel(channel) if channel in self.state.users else channel
        return self.state.post(channel_id, user, self.clock(), text=text, blocks=blocks, thread_ts=thread_ts)

    def new_trigger_id(self, user: str | None = None) -> str:
        """A trigger_id as an interaction would carry; it opens one view within three seconds."""
        return self.state.new_trigger(user, self.clock())

    def new_response_url(
        self, channel: str, user: str, *, message_ts: str | None = None, thread_ts: str | None = None
    ) -> str:
        """A response_url for an interaction by `user` in `channel` (on `message_ts` for block actions)."""
        if self.base_url is None:
            raise RuntimeError("start() the fake (or set base_url) before asking for response URLs")
        self.state.forget_expired(self.clock())
        url = ResponseUrl(
            self.state.new_id("R"), channel, user, self.clock(), message_ts=message_ts, thread_ts=thread_ts
        )
        self.state.response_urls[url.id] = url
        return f"{self.base_url}/response/{url.id}"

    # ----- change notification -----

    def changed(self) -> None:
        """Something visible changed: bump `version` (the browser polls it) and tell the listeners."""
        self.version += 1
        for listener in list(self.listeners):
            listener()

    def _record(self, call: Call) -> None:
        calls = self.state.calls
        calls.append(call)
        if self.keep_calls is not None and len(calls) > self.keep_calls:
            del calls[: len(calls) - self.keep_calls]

    # ----- failure injection -----

    def fail_next(self, method: str, *, status: int = 429, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls with an HTTP error: 429 + Retry-After, or 500/503."""
        error = "ratelimited" if status == 429 else "fatal_error"
        self._faults.setdefault(method, []).append(_Fault(status, error, retry_after, times))

    def error_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls with HTTP 200 and `{"ok": false, "error": error}`."""
        self._faults.setdefault(method, []).append(_Fault(200, error, None, times))

    def drop_after_store(self, method: str, times: int = 1) -> None:
        """Perform the next `times` calls fully (a message IS stored), then close the connection without
        an HTTP answer: the client cannot tell whether it worked, and a retrying client sends it again."""
        self._faults.setdefault(method, []).append(_Fault(0, "", None, times, drop=True))

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    # ----- queries for tests -----

    @property
    def calls(self) -> list[Call]:
        return self.state.calls

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.state.calls if call.method == method]

    def messages_in(
        self, channel: str, *, thread_ts: str | None = None, include_ephemeral_for: str | None = None
    ) -> list[Message]:
        """Top-level messages of a channel (or a user's DM), or the whole thread (parent first) if asked."""
        channel_id = self.state.dms.get(channel, channel)
        found = []
        for message in self.state.messages:
            if message.channel != channel_id or message.deleted:
                continue
            if message.ephemeral_for is not None and message.ephemeral_for != include_ephemeral_for:
                continue
            if thread_ts is not None:
                if message.thread_ts == thread_ts or message.ts == thread_ts:
                    found.append(message)
            elif not message.is_reply or message.broadcast:
                found.append(message)
        return found

    def ephemeral_for(self, user: str) -> list[Message]:
        return [m for m in self.state.messages if m.ephemeral_for == user and not m.deleted]

    def dm_channel(self, user: str) -> str:
        """The D… id of the bot's DM with `user` (stable; opened on first use)."""
        return self.state.open_dm(user).id

    # ----- HTTP -----

    def make_app(self) -> web.Application:
        """The routes as an aiohttp app, to run alone (`start`) or mount into another server."""
        app = web.Application(middlewares=[local_only])
        app.add_routes(self.routes())
        return app

    def routes(self) -> list[web.RouteDef]:
        """The same routes, to add to an existing app (the bot's own server in the local workspace)."""
        return [
            web.post("/api/{method}", self._api),
            web.get("/api/{method}", self._api),
            web.post("/upload/{file_id}", self._upload),
            web.post("/response/{url_id}", self._response),
            web.get("/files/{file_id}/{name}", self._download),
            web.get("/files/{file_id}/download/{name}", self._download),
        ]

    @property
    def api_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the fake is not started")
        return self.base_url + "/api/"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on an ephemeral port by default and return the base URL."""
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.base_url = f"http://{shown}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackWebAPI:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def _context(self, request: web.Request, suffix: str) -> Context:
        """Derive our base URL from the request so links work when mounted under a prefix too."""
        path = request.path
        prefix = path[: -len(suffix)] if path.endswith(suffix) else ""
        base = f"{request.scheme}://{request.host}{prefix}" if request.host else self.base_url or ""
        return Context(self.state, self.clock(), base)

    def _fault_response(self, call: Call, fault: _Fault) -> web.Response:
        payload = {"ok": False, "error": fault.error}
        call.status, call.response = fault.status, payload
        headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else None
        return web.json_response(payload, status=fault.status, headers=headers)

    async def _api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        token = bearer(request)
        try:
            args = await read_args(request)
            parse_error = None
        except SlackError as error:
            args, parse_error = {}, error.error
        form_token = args.pop("token", None)
        token = token or (str(form_token) if form_token else None)
        call = Call(name, args, token)
        self._record(call)
        fault = self._take_fault(name)
        if fault is not None and not fault.drop:
            return self._fault_response(call, fault)
        handler = METHODS.get(name)
        if handler is None:
            payload: dict[str, Any] = {"ok": False, "error": "unknown_method", "req_method": name}
        elif parse_error is not None:
            payload = {"ok": False, "error": parse_error}
        elif token is None:
            payload = {"ok": False, "error": "not_authed"}
        elif token != self.bot_token:
            payload = {"ok": False, "error": "invalid_auth"}
        else:
            try:
                payload = {"ok": True, **handler(self._context(request, f"/api/{name}"), args)}
            except SlackError as error:
                payload = {"ok": False, "error": error.error, **error.extra}
            else:
                if name not in READ_ONLY:
                    self.changed()
        call.response = payload
        # After answering, so a late trigger still gets Slack's expired_trigger_id before it is forgotten.
        self.state.forget_expired(self.clock())
        if fault is not None and request.transport is not None:
            call.dropped = True
            request.transport.close()  # aiohttp cannot write the answer below: the client sees a disconnect
        return web.json_response(payload)

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = await read_upload(request)
        call = Call("upload", {"file_id": file_id, "length": len(data)}, bearer(request))
        self._record(call)
        fault = self._take_fault("upload")
        if fault is not None:
            call.status = fault.status
            return web.Response(status=fault.status, text=fault.error, content_type="text/plain")
        file = self.state.files.get(file_id)
        if file is None:
            call.status = 404
            return web.Response(status=404, text="file_not_found", content_type="text/plain")
        if file.data is not None:  # an upload URL takes one upload: shared files never change underneath
            call.status = 409
            return web.Response(status=409, text="already_uploaded", content_type="text/plain")
        file.data = data
        self.changed()
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _response(self, request: web.Request) -> web.Response:
        url_id = request.match_info["url_id"]
        payload: Any
        try:
            if request.content_type == "application/json":
                payload = json.loads(await request.text())
            else:
                payload = json.loads(str((await request.post()).get("payload", "")))
        except ValueError:
            payload = None
        args = dict(payload) if isinstance(payload, dict) else {}
        call = Call("response_url", {"url_id": url_id, **args}, None)
        self._record(call)
        fault = self._take_fault("response_url")
        if fault is not None:
            return self._fault_response(call, fault)
        status, body = respond(self._context(request, f"/response/{url_id}"), url_id, payload)
        call.status, call.response = status, body
        if status == 200:
            self.changed()
        self.state.forget_expired(self.clock())
        return web.json_response(body, status=status)

    async def _download(self, request: web.Request) -> web.Response:
        """The bot downloads with its token, the page without one; a wrong token is refused like Slack's."""
        if "Authorization" in request.headers and bearer(request) != self.bot_token:
            return web.Response(status=403, text="invalid_auth", content_type="text/plain")
        file = self.state.files.get(request.match_info["file_id"])
        if file is None or file.data is None:
            return web.Response(status=404, text="file_not_found", content_type="text/plain")
        mimetype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        headers = {"X-Content-Type-Options": "nosniff"}
        if mimetype not in INLINE_TYPES:
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file.name)}"
        return web.Response(body=file.data, content_type=mimetype, headers=headers)
