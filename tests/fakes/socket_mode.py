"""Slack's Socket Mode side, for tests: apps.connections.open, then a WebSocket that says hello,
sends envelopes and waits for the bot's acknowledgement of each, as Slack does."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from bot.local.webapi import SlackWebAPI

APP_TOKEN = "xapp-1-test"


class SocketModeFake:
    """Serves the Web API fake's routes plus Socket Mode on one ephemeral port."""

    def __init__(self, api: SlackWebAPI):
        self.api = api
        self.connected = asyncio.Event()
        self._socket: web.WebSocketResponse | None = None
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None
        self.opened_with: list[str] = []

    async def _open(self, request: web.Request) -> web.Response:
        self.opened_with.append(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") != f"Bearer {APP_TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        url = f"ws://127.0.0.1:{self.port}/socket?ticket={uuid.uuid4().hex}"
        return web.json_response({"ok": True, "url": url})

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TEST01"}}
        )
        self.connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                future = self._acks.pop(data.get("envelope_id", ""), None)
                if future and not future.done():
                    future.set_result(data)
        return socket

    async def send(self, kind: str, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        """Send one envelope and return the bot's acknowledgement (with its payload, if any)."""
        assert self._socket is not None, "the bot has not connected"
        envelope_id = uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        await self._socket.send_json(
            {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": True}
        )
        return await asyncio.wait_for(future, timeout)

    async def start(self) -> str:
        app = web.Application()
        app.add_routes([web.post("/api/apps.connections.open", self._open), web.get("/socket", self._ws)])
        app.add_routes(self.api.routes())
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        self.api.base_url = f"http://127.0.0.1:{self.port}"
        return f"{self.api.base_url}/api/"

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
