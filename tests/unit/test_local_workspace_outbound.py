"""What the local workspace sends the bot, signed as Slack signs it, and how it shows the answers:
commands and their acks, mentions, App Home, clicks and response URLs, modals, shared files, timeouts."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.bridge import BotLink
from tests.unit.local_workspace_harness import HEADERS, LABELER, LEAD, QA, SECRET, TOKEN, Setup, _blocks

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
