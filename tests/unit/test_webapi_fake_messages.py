"""The Web API fake answers the real slack_sdk client as Slack would: auth, posting, updating and threads,
ephemeral messages, DMs, member pages, user groups and users, auth and channel errors, form bodies."""

from __future__ import annotations

import json

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.webapi import SlackWebAPI
from tests.unit.webapi_fake_harness import ALICE, BOB, CAROL, QA


async def test_start_binds_an_ephemeral_port_and_auth_test_answers(fake: SlackWebAPI, client: AsyncWebClient):
    assert fake.base_url is not None and fake.base_url.startswith("http://127.0.0.1:")
    assert fake.api_url == fake.base_url + "/api/"
    answer = await client.auth_test()
    assert answer["user_id"] == "UBOT0001" and answer["team_id"] == "T0TEST01"
    assert fake.calls_to("auth.test")[0].token == "xoxb-test"


async def test_post_update_and_reply_in_thread(fake: SlackWebAPI, client: AsyncWebClient):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Calibration* today"}}]
    posted = await client.chat_postMessage(channel=QA, text="Calibration today", blocks=blocks)
    assert posted["channel"] == QA and posted["message"]["blocks"] == blocks
    parent_ts = posted["ts"]
    assert fake.calls_to("chat.postMessage")[0].json("blocks") == blocks

    updated = await client.chat_update(channel=QA, ts=parent_ts, text="Calibration moved")
    assert updated["message"]["edited"]["user"] == "UBOT0001"

    reply = await client.chat_postMessage(channel=QA, thread_ts=parent_ts, text="Agenda attached")
    assert reply["message"]["thread_ts"] == parent_ts
    await client.chat_postMessage(
        channel=QA, thread_ts=reply["ts"], text="Replying to a reply stays in thread"
    )

    [parent] = fake.messages_in(QA)
    assert parent.text == "Calibration moved" and parent.edited and parent.reply_count == 2
    thread = fake.messages_in(QA, thread_ts=parent_ts)
    assert [m.text for m in thread] == [
        "Calibration moved",
        "Agenda attached",
        "Replying to a reply stays in thread",
    ]

    link = await client.chat_getPermalink(channel=QA, message_ts=reply["ts"])
    assert link["permalink"].endswith(f"p{reply['ts'].replace('.', '')}?thread_ts={parent_ts}&cid={QA}")

    with pytest.raises(SlackApiError) as missing:
        await client.chat_update(channel=QA, ts="1.000001", text="nope")
    assert missing.value.response["error"] == "message_not_found"
    with pytest.raises(SlackApiError) as no_thread:
        await client.chat_postMessage(channel=QA, thread_ts="1.000001", text="orphan")
    assert no_thread.value.response["error"] == "thread_not_found"


async def test_ephemeral_messages_are_only_seen_by_their_user(fake: SlackWebAPI, client: AsyncWebClient):
    answer = await client.chat_postEphemeral(channel=QA, user=ALICE, text="Only you can see this")
    assert answer["message_ts"]
    assert [m.text for m in fake.ephemeral_for(ALICE)] == ["Only you can see this"]
    assert fake.messages_in(QA) == []
    assert len(fake.messages_in(QA, include_ephemeral_for=ALICE)) == 1
    assert fake.messages_in(QA, include_ephemeral_for=BOB) == []
    with pytest.raises(SlackApiError) as outsider:
        await client.chat_postEphemeral(channel=QA, user=CAROL, text="Carol is not in the channel")
    assert outsider.value.response["error"] == "user_not_in_channel"


async def test_dm_via_conversations_open_is_stable(fake: SlackWebAPI, client: AsyncWebClient):
    opened = await client.conversations_open(users=BOB)
    dm = opened["channel"]["id"]
    assert dm.startswith("D") and dm == fake.dm_channel(BOB)
    again = await client.conversations_open(users=BOB)
    assert again["channel"]["id"] == dm and again["already_open"] is True

    await client.chat_postMessage(channel=dm, text="Your audit is ready")
    by_user = await client.chat_postMessage(channel=BOB, text="Posting to a user ID lands in the DM")
    assert by_user["channel"] == dm
    assert [m.text for m in fake.messages_in(BOB)] == [
        "Your audit is ready",
        "Posting to a user ID lands in the DM",
    ]
    info = await client.conversations_info(channel=dm)
    assert info["channel"]["is_im"] is True and info["channel"]["user"] == BOB


async def test_members_paginate_with_cursors(fake: SlackWebAPI, client: AsyncWebClient):
    fake.add_channel("C0BIG0001", "big", members=[f"U0M{i:06d}" for i in range(7)])
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await client.conversations_members(channel="C0BIG0001", limit=3, cursor=cursor)
        seen += page["members"]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 8 and len(set(seen)) == 8 and "UBOT0001" in seen
    with pytest.raises(SlackApiError) as bad:
        await client.conversations_members(channel="C0BIG0001", cursor="bm90LWEtY3Vyc29y")
    assert bad.value.response["error"] == "invalid_cursor"


async def test_usergroups_and_users(fake: SlackWebAPI, client: AsyncWebClient):
    group = await client.usergroups_users_list(usergroup="S0LEADS01")
    assert group["users"] == [ALICE, CAROL]
    with pytest.raises(SlackApiError) as missing:
        await client.usergroups_users_list(usergroup="S0NOPE001")
    assert missing.value.response["error"] == "no_such_subteam"

    alice = await client.users_info(user=ALICE)
    assert alice["user"]["tz"] == "Europe/Dublin" and alice["user"]["profile"]["email"] == "alice@example.com"
    found = await client.users_lookupByEmail(email="BOB@example.com")
    assert found["user"]["id"] == BOB
    for call, error in (
        (client.users_info(user="U0NOBODY1"), "user_not_found"),
        (client.users_lookupByEmail(email="nobody@example.com"), "users_not_found"),
    ):
        with pytest.raises(SlackApiError) as failed:
            await call
        assert failed.value.response["error"] == error


async def test_auth_and_channel_errors(fake: SlackWebAPI, client: AsyncWebClient):
    fake.add_channel("C0SECRET1", "secret", members=[ALICE], bot_member=False)

    async def error_of(web: AsyncWebClient, **kwargs: str) -> str:
        with pytest.raises(SlackApiError) as failed:
            await web.chat_postMessage(text="hello", **kwargs)
        return failed.value.response["error"]

    assert (
        await error_of(AsyncWebClient(token="xoxb-wrong", base_url=fake.api_url), channel=QA)
        == "invalid_auth"
    )
    assert await error_of(AsyncWebClient(base_url=fake.api_url), channel=QA) == "not_authed"
    assert await error_of(client, channel="C0SECRET1") == "not_in_channel"
    assert await error_of(client, channel="C0MISSING") == "channel_not_found"
    with pytest.raises(SlackApiError) as unknown:
        await client.api_call("chat.doesNotExist")
    assert unknown.value.response["error"] == "unknown_method"


async def test_form_and_multipart_bodies_keep_json_fields_as_strings(fake: SlackWebAPI):
    blocks = json.dumps([{"type": "divider"}])
    headers = {"Authorization": "Bearer xoxb-test"}
    async with aiohttp.ClientSession() as session:
        form = {"channel": QA, "text": "form", "blocks": blocks}
        async with session.post(fake.api_url + "chat.postMessage", data=form, headers=headers) as res:
            assert (await res.json())["ok"] is True
        multipart = aiohttp.FormData({"token": "xoxb-test", "channel": QA, "text": "multi"})
        multipart.add_field("blocks", blocks)
        multipart.add_field("attachment", b"bytes", filename="x.bin")
        async with session.post(fake.api_url + "chat.postMessage", data=multipart) as res:
            assert (await res.json())["ok"] is True
    form_call, multipart_call = fake.calls_to("chat.postMessage")
    assert form_call.args["blocks"] == blocks and form_call.json("blocks") == [{"type": "divider"}]
    assert multipart_call.token == "xoxb-test" and multipart_call.json("blocks") == [{"type": "divider"}]
