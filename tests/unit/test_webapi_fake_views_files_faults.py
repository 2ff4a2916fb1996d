"""The Web API fake's views, files and injected faults, its response URLs and mounting under a prefix, a
Bolt app run against it, and the signing helpers checked against Slack's."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.webapi import SlackWebAPI
from tests.e2e.harness import eventually
from tests.fakes.signing import (
    block_actions_body,
    event_body,
    headers_for,
    sign,
    signed_headers,
    slash_command_body,
    view_submission_body,
)
from tests.unit.webapi_fake_harness import ALICE, BOB, CAROL, QA, FakeClock


async def test_views_open_trigger_is_single_use_and_expires(
    fake: SlackWebAPI, client: AsyncWebClient, clock: FakeClock
):
    modal = {
        "type": "modal",
        "callback_id": "audit_form",
        "title": {"type": "plain_text", "text": "Audit"},
        "blocks": [],
    }
    trigger = fake.new_trigger_id(ALICE)
    opened = await client.views_open(trigger_id=trigger, view=modal)
    view_id = opened["view"]["id"]
    assert opened["view"]["callback_id"] == "audit_form" and fake.state.views[view_id].user == ALICE

    async def error_of(trigger_id: str) -> str:
        with pytest.raises(SlackApiError) as failed:
            await client.views_open(trigger_id=trigger_id, view=modal)
        return failed.value.response["error"]

    assert await error_of(trigger) == "exchanged_trigger_id"
    late = fake.new_trigger_id(ALICE)
    clock.advance(3.5)
    assert await error_of(late) == "expired_trigger_id"
    assert await error_of("123.456.deadbeef") == "invalid_trigger_id"

    updated = await client.views_update(view_id=view_id, view={**modal, "private_metadata": "q1"})
    assert updated["view"]["private_metadata"] == "q1" and updated["view"]["id"] == view_id
    home = await client.views_publish(user_id=BOB, view={"type": "home", "blocks": []})
    again = await client.views_publish(user_id=BOB, view={"type": "home", "blocks": []})
    assert home["view"]["id"] == again["view"]["id"] and home["view"]["type"] == "home"


async def test_files_upload_v2_lands_in_the_thread(fake: SlackWebAPI, client: AsyncWebClient):
    parent = await client.chat_postMessage(channel=QA, text="Weekly audit")
    content = b"queue,score\nhate,0.97\n"
    result = await client.files_upload_v2(
        channel=QA, content=content, filename="audit.csv", thread_ts=parent["ts"], initial_comment="Scores"
    )
    file_id = result["file"]["id"]
    assert fake.state.files[file_id].data == content and result["file"]["name"] == "audit.csv"
    assert fake.calls_to("upload")[0].args == {"file_id": file_id, "length": len(content)}
    assert fake.calls_to("files.completeUploadExternal")[0].json("files")[0]["id"] == file_id

    thread = fake.messages_in(QA, thread_ts=parent["ts"])
    assert [m.files for m in thread] == [[], [file_id]] and thread[1].text == "Scores"
    assert fake.messages_in(QA)[0].reply_count == 1
    async with aiohttp.ClientSession() as session, session.get(result["file"]["url_private"]) as download:
        assert await download.read() == content


async def test_rate_limit_is_retried_by_slack_sdk(fake: SlackWebAPI):
    fake.fail_next("chat.postMessage", status=429, retry_after=0)
    retrying = AsyncWebClient(
        token="xoxb-test",
        base_url=fake.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    answer = await retrying.chat_postMessage(channel=QA, text="after a 429")
    assert answer["ok"] is True
    first, second = fake.calls_to("chat.postMessage")
    assert first.status == 429 and first.response == {"ok": False, "error": "ratelimited"}
    assert second.status == 200

    fake.fail_next("chat.postMessage", status=429, retry_after=7)
    plain = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
    with pytest.raises(SlackApiError) as limited:
        await plain.chat_postMessage(channel=QA, text="no retry handler")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"

    fake.fail_next("users.info", status=503)
    fake.error_next("users.info", "fatal_error")
    for status in (503, 200):
        with pytest.raises(SlackApiError) as failed:
            await plain.users_info(user=ALICE)
        assert failed.value.response.status_code == status
    assert (await plain.users_info(user=ALICE))["ok"] is True


async def test_mounted_under_a_prefix_links_point_back_through_the_prefix(clock: FakeClock):
    api = SlackWebAPI(clock=clock)
    api.add_user(ALICE, "alice")
    api.add_channel(QA, "qa-review", members=[ALICE])
    root = web.Application()
    root.add_subapp("/slack", api.make_app())
    async with TestServer(root) as server:
        prefix = str(server.make_url("/slack"))
        client = AsyncWebClient(token="xoxb-test", base_url=prefix + "/api/")
        question = api.add_message(QA, ALICE, "Which rubric applies?")
        await client.chat_postMessage(channel=QA, thread_ts=question.ts, text="Rubric v3")
        uploaded = await client.files_upload_v2(channel=QA, content=b"x", filename="a.txt")
    assert question.reply_count == 1 and question.reply_users == ["UBOT0001"]
    upload_url = api.calls_to("files.getUploadURLExternal")[0].response["upload_url"]
    assert upload_url.startswith(prefix + "/upload/")
    assert uploaded["file"]["url_private"].startswith(prefix + "/files/")


async def test_respond_to_a_response_url(fake: SlackWebAPI, clock: FakeClock):
    respond = AsyncRespond(response_url=fake.new_response_url(QA, ALICE))
    assert (await respond(text="Working on it")).status_code == 200
    assert [m.text for m in fake.ephemeral_for(ALICE)] == ["Working on it"]
    await respond(text="Done", replace_original=True)
    assert [m.text for m in fake.ephemeral_for(ALICE)] == ["Done"]
    await respond(text="Shared with the channel", response_type="in_channel")
    assert [m.text for m in fake.messages_in(QA)] == ["Shared with the channel"]
    await respond(text="4")
    await respond(text="5")
    used = await respond(text="6")
    assert used.status_code == 404 and json.loads(used.body)["error"] == "used_url"

    stale = AsyncRespond(response_url=fake.new_response_url(QA, BOB))
    clock.advance(31 * 60)
    expired = await stale(text="too late")
    assert expired.status_code == 404 and json.loads(expired.body)["error"] == "expired_url"


async def test_bolt_app_runs_a_signed_slash_command_against_the_fake(fake: SlackWebAPI):
    secret = "test-signing-secret"
    app = AsyncApp(
        signing_secret=secret,
        client=AsyncWebClient(token="xoxb-test", base_url=fake.api_url),
        token="xoxb-test",
    )

    @app.command("/tsqa")
    async def handle(ack, respond, client, command):
        await ack()
        await respond(text=f"audit {command['text']}")
        await client.views_open(trigger_id=command["trigger_id"], view={"type": "modal", "blocks": []})

    body = slash_command_body(
        "/tsqa", "start", ALICE, QA, fake.new_response_url(QA, ALICE), fake.new_trigger_id(ALICE)
    )
    request = AsyncBoltRequest(body=body.decode(), headers=signed_headers(secret, "slash_command", body))
    response = await app.async_dispatch(request)
    assert response.status == 200
    # Bolt runs the listener's work after the ack (process_before_response is off): wait for it.
    assert await eventually(lambda: fake.calls_to("views.open")), "views.open never came"
    assert [m.text for m in fake.ephemeral_for(ALICE)] == ["audit start"]
    assert len(fake.calls_to("views.open")) == 1 and fake.calls_to("views.open")[0].response["ok"] is True

    tampered = AsyncBoltRequest(
        body=body.decode() + "x", headers=signed_headers(secret, "slash_command", body)
    )
    assert (await app.async_dispatch(tampered)).status == 401


def test_sign_matches_slacks_documented_vector():
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = sign("8f742231b10e8888abcd99yyyzzz85a5", body, timestamp=1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }

    class At:
        def now(self) -> float:
            return 1531420618 + 10

    verifier = SignatureVerifier("8f742231b10e8888abcd99yyyzzz85a5", clock=At())
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + b"&x=1", headers)
    assert SignatureVerifier("another").is_valid_request(b"{}", sign("another", b"{}"))


def test_bodies_parse_as_slack_requests_for_bolt():
    command = slash_command_body("/tsqa", "status", ALICE, QA, "http://r", "1.2.abc")
    fields = {k: v[0] for k, v in parse_qs(command.decode(), keep_blank_values=True).items()}
    assert (
        fields["command"] == "/tsqa" and fields["trigger_id"] == "1.2.abc" and fields["team_id"] == "T0TEST01"
    )

    actions = block_actions_body(
        BOB,
        [{"action_id": "approve", "value": "case-1"}],
        channel_id=QA,
        message={"ts": "1700000000.000100", "text": "case"},
        response_url="http://r",
    )
    request = AsyncBoltRequest(body=actions.decode(), headers=headers_for("block_actions"))
    assert request.body["type"] == "block_actions"
    assert (request.context.user_id, request.context.channel_id, request.context.team_id) == (
        BOB,
        QA,
        "T0TEST01",
    )
    action = request.body["actions"][0]
    assert action["action_id"] == "approve" and action["value"] == "case-1" and action["type"] == "button"
    assert request.body["container"]["message_ts"] == "1700000000.000100"

    values = {"score": {"score_input": {"type": "plain_text_input", "value": "0.9"}}}
    submission = view_submission_body(
        CAROL, {"callback_id": "audit_form", "private_metadata": "q1", "state": {"values": values}}, "1.2.abc"
    )
    request = AsyncBoltRequest(body=submission.decode(), headers=headers_for("view_submission"))
    assert request.body["view"]["state"]["values"] == values and request.context.user_id == CAROL

    event = event_body(
        {"type": "app_mention", "user": ALICE, "channel": QA, "text": "hi", "ts": "1.1"}, "Ev01"
    )
    request = AsyncBoltRequest(body=event.decode(), headers=headers_for("event"))
    assert request.body["event_id"] == "Ev01" and request.context.user_id == ALICE
    assert request.body["authorizations"][0]["user_id"] == "UBOT0001"
