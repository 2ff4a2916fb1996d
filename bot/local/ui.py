"""The browser workspace's HTTP side: the page, and small JSON endpoints it polls and posts to.

Every endpoint names the acting person (`as`); there are no accounts, so `bot.local.guard` keeps every
route to loopback and to this page, and posts must carry a header a foreign page cannot send.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from bot.local import present
from bot.local.guard import CSRF_HEADER, Handler, refusal
from bot.local.methods import json_object
from bot.local.state import SlackError

if TYPE_CHECKING:
    from bot.local.server import LocalWorkspace

log = logging.getLogger("tsqa.local")

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD = 20 * 1024 * 1024


class UiRoutes:
    """Handlers bound to one local workspace; `routes()` lists them for the bot's server."""

    def __init__(self, local: LocalWorkspace) -> None:
        self.local = local

    def routes(self) -> list[web.AbstractRouteDef]:
        guard = self._guard
        return [
            web.get("/", guard(self.index, post=False)),
            web.static("/ui/static", STATIC, append_version=False),
            web.get("/ui/workspace", guard(self.workspace, post=False)),
            web.get("/ui/view", guard(self.view, post=False)),
            web.post("/ui/message", guard(self.message)),
            web.post("/ui/action", guard(self.action)),
            web.post("/ui/shortcut", guard(self.shortcut)),
            web.post("/ui/submit", guard(self.submit)),
            web.post("/ui/close", guard(self.close)),
            web.post("/ui/home", guard(self.home)),
            web.post("/ui/upload", guard(self.upload)),
        ]

    def _guard(self, handler: Handler, *, post: bool = True) -> Handler:
        """Refuse posts without our header (cross-site forms); Slack's error codes become 400s."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            if post and request.headers.get(CSRF_HEADER) != "1":
                return refusal(403, "missing_header")
            try:
                return await handler(request)
            except SlackError as error:
                return refusal(400, error.error)

        return guarded

    # ----- reading -----

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def workspace(self, request: web.Request) -> web.Response:
        local = self.local
        st = local.api.state
        titles = {p.id: p.title for p in local.workspace.people}
        order = [p.id for p in local.workspace.people]
        order += sorted(u.id for u in st.users.values() if not u.is_bot and u.id not in titles)
        people = [
            {"id": uid, "name": st.users[uid].real_name or st.users[uid].name, "title": titles.get(uid, "")}
            for uid in order
            if uid in st.users
        ]
        bot = st.users.get(st.bot_user_id)
        return web.json_response(
            {
                "team": {"id": st.team_id, "domain": st.team_domain},
                "bot": {"id": st.bot_user_id, "name": bot.name if bot else "tsqa"},
                "people": people,
                "commands": sorted(local.interactions.commands),
                "shortcuts": [
                    {"callback_id": s.callback_id, "name": s.name, "description": s.description}
                    for s in local.interactions.shortcuts.values()
                ],
            }
        )

    def _person(self, user: str | None) -> str:
        found = self.local.api.state.users.get(user or "")
        if found is None or found.is_bot:
            raise SlackError("user_not_found")
        return found.id

    async def view(self, request: web.Request) -> web.Response:
        """Everything the page shows for a person, or just the version when nothing changed since."""
        local = self.local
        user = self._person(request.query.get("as"))
        st = local.api.state
        if user not in st.dms:
            st.open_dm(user)
            local.api.changed()
        version = local.api.version
        if request.query.get("since") == str(version):
            return web.json_response({"version": version, "unchanged": True})
        order = [c.id for c in local.workspace.channels]
        out: dict[str, Any] = {
            "version": version,
            "users": present.users(st),
            "channels": present.channel_names(st),
            "conversations": present.conversations(st, user, order),
            "modal": present.modal(st, user),
        }
        channel = request.query.get("channel") or ""
        conversation = st.channels.get(channel)
        if channel == "home":
            out["home"] = present.home(st, user)
        elif conversation is not None and user in conversation.members:
            out["messages"] = present.channel_messages(st, channel, user)
            thread = request.query.get("thread")
            if thread:
                out["thread"] = present.thread_messages(st, channel, thread, user)
        return web.json_response(out)

    # ----- acting -----

    async def _body(self, request: web.Request) -> dict[str, Any]:
        return json_object(await request.text())

    async def message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        result = await self.local.interactions.send_message(
            self._person(body.get("as")),
            str(body.get("channel") or ""),
            str(body.get("text") or ""),
            body.get("thread_ts") or None,
        )
        return web.json_response(result)

    async def action(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        element = body.get("element")
        if not isinstance(body.get("block"), int) or not (
            isinstance(element, int) or element in ("accessory", "input")
        ):
            raise SlackError("invalid_arguments")
        values, seen = body.get("values"), body.get("seen")
        result = await self.local.interactions.click(
            self._person(body.get("as")),
            block=body["block"],
            element=element,
            selected=body.get("selected"),
            channel=body.get("channel"),
            ts=body.get("ts"),
            view_id=body.get("view_id"),
            values=values if isinstance(values, dict) else None,
            seen=seen if isinstance(seen, dict) else None,
        )
        return web.json_response(result)

    async def shortcut(self, request: web.Request) -> web.Response:
        """A message shortcut chosen in a message's menu: as, channel, ts and the shortcut's callback_id."""
        body = await self._body(request)
        result = await self.local.interactions.shortcut(
            self._person(body.get("as")),
            str(body.get("channel") or ""),
            str(body.get("ts") or ""),
            str(body.get("callback_id") or ""),
        )
        return web.json_response(result)

    async def submit(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        values = body.get("values")
        if not isinstance(values, dict):
            raise SlackError("invalid_arguments")
        user = self._person(body.get("as"))
        result = await self.local.interactions.submit(user, str(body.get("view_id") or ""), values)
        return web.json_response(result)

    async def close(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self._person(body.get("as"))
        return web.json_response(
            await self.local.interactions.close_view(user, str(body.get("view_id") or ""))
        )

    async def home(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        return web.json_response(await self.local.interactions.open_home(self._person(body.get("as"))))

    async def upload(self, request: web.Request) -> web.Response:
        """A file shared from the composer: multipart with as, channel, thread_ts, text and the file."""
        if request.content_type != "multipart/form-data":
            raise SlackError("invalid_form_data")
        fields: dict[str, str] = {}
        filename, data = "", b""
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.filename is not None:
                filename = part.filename
                chunks: list[bytes] = []
                size = 0
                while chunk := await part.read_chunk():
                    size += len(chunk)
                    if size > MAX_UPLOAD:
                        return refusal(413, "file_too_large")
                    chunks.append(chunk)
                data = b"".join(chunks)
            elif part.name:
                fields[part.name] = await part.text()
        if not filename:
            raise SlackError("no_file_data")
        result = await self.local.interactions.upload(
            self._person(fields.get("as")),
            fields.get("channel", ""),
            filename,
            data,
            fields.get("text", ""),
            fields.get("thread_ts") or None,
        )
        return web.json_response(result)
