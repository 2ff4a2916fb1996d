"""The local workspace without a browser: the page's JSON endpoints, requests signed as Slack signs
them, acks shown as Slack shows them, persistence across restarts, and the `tsqa run` wiring."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.bridge import BotLink
from bot.local.elements import action_payload, find_element, form_state
from bot.local.persist import DebouncedSaver, SnapshotStore, restore, snapshot
from bot.local.server import LocalWorkspace
from bot.local.state import SlackError
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


@pytest.fixture
async def setup(workspace: Workspace, sqlite_db: Database) -> AsyncIterator[Setup]:
    bot = StubBot()
    local, server = await _started(workspace, sqlite_db, bot)
    async with aiohttp.ClientSession() as session:
        yield Setup(local, bot, session, str(server.make_url("")).rstrip("/"))
    await server.close()


def _blocks(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


# ----- reading -----


async def test_workspace_lists_people_with_titles_and_commands(setup: Setup) -> None:
    info = await setup.get("/ui/workspace")
    assert [p["id"] for p in info["people"]][:2] == [LEAD, "U0TRAINER1"]
    assert info["people"][0] == {"id": LEAD, "name": "Quinn Lead", "title": "QA lead"}
    assert info["bot"]["name"] == "tsqa" and info["commands"] == ["digest", "quiz"]


async def test_view_shows_each_person_only_what_they_may_see(setup: Setup) -> None:
    st = setup.local.api.state
    st.post(QA, LEAD, time.time(), text="for everyone")
    st.post(QA, "UBOT0001", time.time(), text="just for Lee", ephemeral_for=LABELER)
    setup.local.api.changed()
    lee = await setup.get("/ui/view", **{"as": LABELER, "channel": QA})
    quinn = await setup.get("/ui/view", **{"as": LEAD, "channel": QA})
    assert [m["text"] for m in lee["messages"]] == ["for everyone", "just for Lee"]
    assert lee["messages"][1]["ephemeral"] is True
    assert [m["text"] for m in quinn["messages"]] == ["for everyone"]
    assert [c["name"] for c in quinn["conversations"]][:2] == ["qa-ops", "queue-digest"]
    dms = [c["id"] for c in quinn["conversations"] if c["kind"] == "im"]
    assert dms == ["D0QALEAD1"] and "D0LABEL01" not in [c["id"] for c in quinn["conversations"]]
    denied = await setup.get("/ui/view", **{"as": LEAD, "channel": "D0LABEL01"})
    assert "messages" not in denied
    same = await setup.get("/ui/view", **{"as": LEAD, "channel": QA, "since": str(quinn["version"])})
    assert same == {"version": quinn["version"], "unchanged": True}


async def test_posts_need_the_header_and_a_loopback_host(setup: Setup) -> None:
    body = {"as": LEAD, "channel": QA, "text": "hi"}
    status, answer = await setup.post("/ui/message", body, headers={})
    assert (status, answer["error"]) == (403, "missing_header")
    async with setup.session.get(setup.url + "/ui/workspace", headers={"Host": "evil.example:3000"}) as r:
        assert r.status == 403
    status, answer = await setup.post("/ui/message", {**body, "as": "UBOT0001"})
    assert (status, answer["error"]) == (400, "user_not_found")
    async with setup.session.get(setup.url + "/") as r:
        assert r.status == 200 and "<title>" in await r.text()


# ----- commands, messages, events -----


async def test_a_command_ack_is_shown_ephemerally_or_in_channel(setup: Setup) -> None:
    def ack(payload: dict[str, Any]) -> web.Response:
        in_channel = payload["text"] == "post"
        return web.json_response(
            {
                "text": "usage",
                "blocks": _blocks("*/digest*: usage"),
                "response_type": "in_channel" if in_channel else "ephemeral",
            }
        )

    setup.bot.answers["/digest"] = ack
    assert (await setup.post("/ui/message", {"as": LABELER, "channel": QA, "text": "/digest help"}))[1]["ok"]
    sent = setup.bot.of("/digest")[0]
    assert sent["user_id"] == LABELER and sent["text"] == "help" and sent["channel_name"] == "qa-ops"
    assert sent["response_url"].startswith(setup.url + "/response/") and sent["trigger_id"]
    st = setup.local.api.state
    assert [(m.text, m.ephemeral_for) for m in st.messages] == [("usage", LABELER)]

    await setup.post("/ui/message", {"as": LEAD, "channel": QA, "text": "/digest post"})
    assert [(m.user, m.text, m.ephemeral_for) for m in st.messages[1:]] == [
        (LEAD, "/digest post", None),
        ("UBOT0001", "usage", None),
    ]


async def test_a_failing_or_unknown_command_gets_slackbots_answer(setup: Setup) -> None:
    setup.bot.answers["/quiz"] = lambda payload: web.Response(status=500)
    await setup.post("/ui/message", {"as": LEAD, "channel": QA, "text": "/quiz help"})
    await setup.post("/ui/message", {"as": LEAD, "channel": QA, "text": "/nope"})
    texts = [(m.user, m.text, m.ephemeral_for) for m in setup.local.api.state.messages]
    assert texts == [
        ("USLACKBOT", '`/quiz` failed with the error "dispatch_failed"', LEAD),
        (
            "USLACKBOT",
            "`/nope` is not a valid command. In Slack, messages that start with `/` are interpreted "
            "as commands.",
            LEAD,
        ),
    ]


async def test_a_mention_is_stored_escaped_and_sent_as_app_mention(setup: Setup) -> None:
    text = "@tsqa digest help for @quinn & <b>me</b>, mail a@b.com, @here"
    _status, answer = await setup.post("/ui/message", {"as": LABELER, "channel": QA, "text": text})
    stored = setup.local.api.state.messages[0]
    expected = "<@UBOT0001> digest help for <@U0QALEAD1> &amp; &lt;b&gt;me&lt;/b&gt;, mail a@b.com, <!here>"
    assert stored.text == expected and stored.ts == answer["ts"]
    event = setup.bot.of("app_mention")[0]
    assert event["event"]["text"] == expected and event["event"]["ts"] == stored.ts
    assert event["event"]["channel"] == QA and event["authorizations"][0]["user_id"] == "UBOT0001"

    await setup.post(
        "/ui/message", {"as": LABELER, "channel": QA, "text": "@tsqa more", "thread_ts": stored.ts}
    )
    assert setup.bot.of("app_mention")[1]["event"]["thread_ts"] == stored.ts
    assert stored.reply_count == 1

    await setup.post("/ui/message", {"as": LABELER, "channel": "D0LABEL01", "text": "@tsqa in a DM"})
    assert len(setup.bot.of("app_mention")) == 2  # Slack does not send app_mention for DMs


async def test_opening_home_sends_app_home_opened(setup: Setup) -> None:
    status, answer = await setup.post("/ui/home", {"as": LEAD})
    assert status == 200 and answer["ok"]
    event = setup.bot.of("app_home_opened")[0]["event"]
    assert event == {**event, "user": LEAD, "channel": "D0QALEAD1", "tab": "home"}
    client = AsyncWebClient(token=TOKEN, base_url=setup.url + "/api/")
    await client.views_publish(user_id=LEAD, view={"type": "home", "blocks": _blocks("Hello")})
    view = await setup.get("/ui/view", **{"as": LEAD, "channel": "home"})
    assert view["home"]["blocks"] == _blocks("Hello")


# ----- interactivity -----


async def test_a_click_sends_the_stored_element_and_its_response_url_works(setup: Setup) -> None:
    client = AsyncWebClient(token=TOKEN, base_url=setup.url + "/api/")
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Digest"}},
        {
            "type": "actions",
            "block_id": "digest_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "breakdown",
                    "value": "hate-en",
                    "text": {"type": "plain_text", "text": "Breakdown"},
                },
                {
                    "type": "static_select",
                    "action_id": "queue",
                    "options": [{"text": {"type": "plain_text", "text": "Spam"}, "value": "spam-pt"}],
                },
            ],
        },
    ]
    posted = await client.chat_postMessage(channel=QA, text="Digest", blocks=blocks)
    respond_to: list[str] = []

    def answer(payload: dict[str, Any]) -> web.Response:
        respond_to.append(payload["response_url"])
        return web.Response(status=200)

    setup.bot.answers["block_actions"] = answer
    click = {"as": LEAD, "channel": QA, "ts": posted["ts"], "block": 1, "element": 0, "selected": None}
    assert (await setup.post("/ui/action", {**click, "value": "forged"}))[1]["ok"]
    payload = setup.bot.of("block_actions")[0]
    action = payload["actions"][0]
    assert (action["action_id"], action["value"], action["block_id"]) == (
        "breakdown",
        "hate-en",
        "digest_actions",
    )
    assert payload["message"]["ts"] == posted["ts"] and payload["container"]["is_ephemeral"] is False
    assert payload["user"]["id"] == LEAD and payload["channel"]["name"] == "qa-ops"

    await setup.post("/ui/action", {**click, "element": 1, "selected": "spam-pt"})
    chosen = setup.bot.of("block_actions")[1]
    assert chosen["actions"][0]["selected_option"]["value"] == "spam-pt"
    assert chosen["state"]["values"]["digest_actions"]["queue"]["selected_option"]["value"] == "spam-pt"
    status, refused = await setup.post("/ui/action", {**click, "element": 1, "selected": "nope"})
    assert (status, refused["error"]) == (400, "invalid_option")

    async with setup.session.post(respond_to[0], json={"text": "Only you see this"}) as r:
        assert r.status == 200
    assert setup.local.api.ephemeral_for(LEAD)[0].text == "Only you see this"


async def test_a_modal_shows_errors_then_closes(setup: Setup) -> None:
    api = setup.local.api
    client = AsyncWebClient(token=TOKEN, base_url=setup.url + "/api/")
    view = {
        "type": "modal",
        "callback_id": "digest_request",
        "title": {"type": "plain_text", "text": "Request a digest"},
        "submit": {"type": "plain_text", "text": "Request"},
        "blocks": [
            {
                "type": "input",
                "block_id": "day",
                "label": {"type": "plain_text", "text": "Date"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
    }
    opened = await client.views_open(trigger_id=api.new_trigger_id(LEAD), view=view)
    shown = await setup.get("/ui/view", **{"as": LEAD, "channel": QA})
    assert shown["modal"]["id"] == opened["view"]["id"]
    assert (await setup.get("/ui/view", **{"as": LABELER, "channel": QA}))["modal"] is None

    def validate(payload: dict[str, Any]) -> web.Response:
        value = payload["view"]["state"]["values"]["day"]["value"]["value"]
        if value != "2026-11-23":
            return web.json_response({"response_action": "errors", "errors": {"day": "Use a date"}})
        return web.Response(status=200)

    setup.bot.answers["view_submission"] = validate
    submit = {"as": LEAD, "view_id": opened["view"]["id"], "values": {"day": "soon"}}
    assert (await setup.post("/ui/submit", submit))[1] == {"ok": True, "errors": {"day": "Use a date"}}
    assert opened["view"]["id"] in api.state.views
    assert (await setup.post("/ui/submit", {**submit, "values": {"day": "2026-11-23"}}))[1] == {"ok": True}
    assert opened["view"]["id"] not in api.state.views
    sent = setup.bot.of("view_submission")[1]
    assert sent["view"]["callback_id"] == "digest_request" and sent["user"]["id"] == LEAD


async def test_a_shared_file_reaches_the_bot_with_its_message(setup: Setup) -> None:
    form = aiohttp.FormData()
    for key, value in {"as": LEAD, "channel": QA, "text": "yesterday's export"}.items():
        form.add_field(key, value)
    form.add_field("file", b"queue,count\nhate-en,3\n", filename="export.csv", content_type="text/csv")
    async with setup.session.post(setup.url + "/ui/upload", data=form, headers=HEADERS) as r:
        answer = await r.json()
    event = setup.bot.of("file_shared")[0]["event"]
    assert event["file_id"] == answer["file"] and event["channel_id"] == QA and event["user_id"] == LEAD
    client = AsyncWebClient(token=TOKEN, base_url=setup.url + "/api/")
    info = (await client.files_info(file=answer["file"]))["file"]
    assert info["shares"]["public"][QA][0]["ts"] == answer["ts"]
    async with setup.session.get(info["url_private_download"]) as r:
        assert await r.read() == b"queue,count\nhate-en,3\n"
    view = await setup.get("/ui/view", **{"as": LEAD, "channel": QA})
    assert view["messages"][0]["files"][0]["name"] == "export.csv"


async def test_the_bot_not_answering_in_time_is_a_timeout() -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.Response()

    app = web.Application()
    app.router.add_post("/slack/events", slow)
    async with TestServer(app) as server:
        link = BotLink(str(server.make_url("/slack/events")), SECRET, timeout=0.2)
        delivery = await link.send("event", b"{}")
        await link.close()
    assert (delivery.status, delivery.error) == (0, "operation_timeout")


# ----- elements -----


def test_elements_come_from_the_stored_blocks() -> None:
    blocks = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "x"},
            "accessory": {
                "type": "overflow",
                "action_id": "more",
                "options": [{"text": {"type": "plain_text", "text": "Edit"}, "value": "edit"}],
            },
        },
        {
            "type": "input",
            "block_id": "when",
            "element": {"type": "datepicker", "action_id": "value"},
            "label": {"type": "plain_text", "text": "When"},
        },
        {
            "type": "input",
            "element": {
                "type": "checkboxes",
                "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}],
            },
            "label": {"type": "plain_text", "text": "Pick"},
        },
    ]
    bid, element = find_element(blocks, 0, "accessory")
    assert action_payload(bid, element, "accessory", "edit") == {
        "type": "overflow",
        "block_id": "b0",
        "action_id": "more",
        "selected_option": {"text": {"type": "plain_text", "text": "Edit"}, "value": "edit"},
    }
    state = form_state(blocks, {"when": "2026-11-23", "b2": ["a"]})
    assert state["when"] == {"value": {"type": "datepicker", "selected_date": "2026-11-23"}}
    assert state["b2"]["a2"]["selected_options"][0]["value"] == "a"
    with pytest.raises(SlackError):
        form_state(blocks, {"when": "23/11/2026"})
    with pytest.raises(SlackError):
        find_element(blocks, 5, 0)


# ----- persistence -----


async def test_the_workspace_survives_a_restart(workspace: Workspace, sqlite_db: Database) -> None:
    bot = StubBot()
    local, server = await _started(workspace, sqlite_db, bot)
    client = AsyncWebClient(token=TOKEN, base_url=local.api.base_url + "/api/")
    posted = await client.chat_postMessage(channel=QA, text="before the restart")
    await client.chat_postMessage(channel=QA, thread_ts=posted["ts"], text="a reply")
    await client.files_upload_v2(
        channel=QA, content=b"\x89PNG chart", filename="chart.png", thread_ts=posted["ts"]
    )
    await client.views_publish(user_id=LEAD, view={"type": "home", "blocks": _blocks("Home")})
    await client.views_open(trigger_id=local.api.new_trigger_id(LEAD), view={"type": "modal", "blocks": []})
    await server.close()  # on_cleanup saves

    again, server = await _started(workspace, sqlite_db, StubBot())
    st = again.api.state
    parent = st.find_message(QA, posted["ts"])
    assert parent is not None and parent.text == "before the restart" and parent.reply_count == 2
    assert [f.data for f in st.files.values()] == [b"\x89PNG chart"]
    assert [v.type for v in st.views.values()] == ["home"]  # open modals belong to the stopped run
    assert set(st.channels[QA].members) >= {LEAD, LABELER, "UBOT0001"}
    later = await AsyncWebClient(token=TOKEN, base_url=again.api.base_url + "/api/").chat_postMessage(
        channel=QA, text="after"
    )
    assert float(later["ts"]) > float(posted["ts"]) and st.sequence > 0
    await server.close()


def test_snapshot_round_trips_and_ignores_unknown_keys(workspace: Workspace) -> None:
    from bot.local.webapi import SlackWebAPI

    api = SlackWebAPI()
    api.add_user(LEAD, "quinn", real_name="Quinn Lead")
    api.add_channel(QA, "qa-ops", members=[LEAD])
    api.add_message(QA, LEAD, "hello")
    data = json.loads(json.dumps(snapshot(api.state)))
    data["messages"][0]["from_the_future"] = True
    restored = restore(data)
    assert restored.messages[0].text == "hello" and restored.channels[QA].members == {LEAD, "UBOT0001"}
    assert snapshot(restored)["messages"] == snapshot(api.state)["messages"]


async def test_saves_are_debounced_and_the_last_change_is_kept(sqlite_db: Database) -> None:
    from bot.local.state import WorkspaceState

    class Counting(SnapshotStore):
        writes = 0

        async def save(self, state: WorkspaceState) -> None:
            Counting.writes += 1
            await super().save(state)

    state = WorkspaceState()
    saver = DebouncedSaver(Counting(sqlite_db), state, delay=0.05)
    for n in range(20):
        state.sequence = n
        saver.schedule()
    await asyncio.sleep(0.2)
    assert Counting.writes == 1
    state.sequence = 99
    saver.schedule()
    await saver.close()
    loaded = await SnapshotStore(sqlite_db).load()
    assert loaded is not None and loaded.sequence == 99


async def test_migration_0002_matches_the_models(sqlite_db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    def diff(connection: Any) -> list[Any]:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with sqlite_db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert [c for c in changes if "local_workspace" in repr(c)] == []


async def test_an_unreadable_snapshot_is_set_aside_not_lost(sqlite_db: Database) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storage.models.local import LocalWorkspaceSnapshot

    async with sqlite_db.transaction() as session:
        session.add(
            LocalWorkspaceSnapshot(name="default", data='{"format": 99}', updated_at=datetime.now(UTC))
        )
    assert await SnapshotStore(sqlite_db).load() is None
    async with sqlite_db.transaction() as session:
        rows = (await session.execute(select(LocalWorkspaceSnapshot))).scalars().all()
    assert [r.data for r in rows] == ['{"format": 99}'] and rows[0].name.startswith("default.unreadable.")


# ----- the command -----


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TSQA_", "HOST", "PORT"))}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        TSQA_WORKSPACE=str(ROOT / "examples" / "workspace.yml"),
        PORT=str(port),
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def test_tsqa_run_without_credentials_serves_the_local_workspace(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env={**_env(tmp_path, port), "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        page = ""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    page = sock.makefile("rb").read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "200 OK" in page and "local workspace" in page
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}" in err and "no Slack credentials" in err


def test_tsqa_no_local_keeps_the_old_exit(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env={**_env(tmp_path, _free_port(), TSQA_NO_LOCAL="1"), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "SLACK_BOT_TOKEN" in result.stderr
