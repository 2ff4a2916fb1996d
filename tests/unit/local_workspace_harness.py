"""What the local-workspace unit tests share: a stub bot that checks Slack's signature, and a
`LocalWorkspace` mounted on a test server next to it (the `setup` fixture in conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier

from bot.local.server import LocalWorkspace
from bot.workspace import Workspace
from storage.engine import Database

ROOT = Path(__file__).resolve().parents[2]
SECRET = "local-test-secret"
TOKEN = "xoxb-local-test"
LEAD, LABELER, QA = "U0QALEAD1", "U0LABEL01", "C0QAOPS01"
HEADERS = {"X-Tsqa-Local": "1"}


@dataclass
class StubBot:
    """Stands where the bot's /slack/events is: checks Slack's signature, records, answers as scripted."""

    received: list[tuple[str, Any]] = field(default_factory=list)
    answers: dict[str, Callable[[Any], web.Response]] = field(default_factory=dict)
    verifier: SignatureVerifier = field(default_factory=lambda: SignatureVerifier(SECRET))

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not self.verifier.is_valid_request(body, dict(request.headers)):
            return web.Response(status=401)
        if request.content_type == "application/json":
            payload = json.loads(body)
            kind = payload["event"]["type"]
        else:
            fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            payload = json.loads(fields["payload"]) if "payload" in fields else fields
            kind = payload.get("type") or payload["command"]
        self.received.append((kind, payload))
        answer = self.answers.get(kind)
        return answer(payload) if answer else web.Response(status=200)

    def of(self, kind: str) -> list[Any]:
        return [payload for k, payload in self.received if k == kind]


@dataclass
class Setup:
    local: LocalWorkspace
    bot: StubBot
    session: aiohttp.ClientSession
    url: str

    async def get(self, path: str, **params: str) -> Any:
        async with self.session.get(self.url + path, params=params) as response:
            return await response.json()

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        sent = HEADERS if headers is None else headers
        async with self.session.post(self.url + path, json=body, headers=sent) as response:
            return response.status, await response.json()


async def _started(workspace: Workspace, db: Database, bot: StubBot) -> tuple[LocalWorkspace, TestServer]:
    local = LocalWorkspace(
        workspace,
        db,
        bot_token=TOKEN,
        signing_secret=SECRET,
        base_url="http://127.0.0.1:0",
        commands=["digest", "quiz"],
        save_delay=0.01,
    )
    app = web.Application()
    app.router.add_post("/slack/events", bot.handle)
    local.mount(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    local.api.base_url = url
    local.link.events_url = url + "/slack/events"
    return local, server


def _blocks(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
