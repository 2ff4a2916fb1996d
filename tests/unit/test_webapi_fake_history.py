"""Message metadata, reading a conversation back, and a connection dropped after the work is done: what the
bot needs to post exactly once (a post carries its key; after an uncertain failure, look for it)."""

from __future__ import annotations

import json

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.models.metadata import Metadata
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.webapi import SlackWebAPI
from tests.unit.webapi_fake_harness import ALICE, QA, FakeClock

KEY = {"event_type": "tsqa_post", "event_payload": {"key": "digest:spam-pt:2026-11-29"}}


async def _error(call) -> str:
    with pytest.raises(SlackApiError) as failed:
        await call
    return failed.value.response["error"]


async def test_post_and_update_carry_metadata(fake: SlackWebAPI, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=QA, text="Digest", metadata=Metadata(**KEY))
    assert posted["message"]["metadata"] == KEY
    [stored] = fake.messages_in(QA)
    assert stored.metadata == KEY
    plain = await client.chat_postMessage(channel=QA, text="No key")
    assert "metadata" not in plain["message"]

    kept = await client.chat_update(channel=QA, ts=posted["ts"], text="Digest, corrected")
    assert kept["message"]["metadata"] == KEY and stored.metadata == KEY
    moved = {"event_type": "tsqa_post", "event_payload": {"key": "other", "attempt": 2}}
    replaced = await client.chat_update(channel=QA, ts=posted["ts"], text="Digest", metadata=moved)
    assert replaced["message"]["metadata"] == moved and stored.metadata == moved


async def test_metadata_as_a_form_string_and_bad_metadata(fake: SlackWebAPI, client: AsyncWebClient) -> None:
    form = {"channel": QA, "text": "form", "metadata": json.dumps(KEY)}
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": "Bearer xoxb-test"}
        async with session.post(fake.api_url + "chat.postMessage", data=form, headers=headers) as answer:
            assert (await answer.json())["message"]["metadata"] == KEY
    bad = {
        "{not json": "invalid_metadata_format",
        "[1, 2]": "invalid_metadata_format",
        json.dumps({"event_type": "x"}): "invalid_metadata_schema",
        json.dumps({"event_type": 3, "event_payload": {}}): "invalid_metadata_schema",
        json.dumps({"event_type": "x", "event_payload": "y"}): "invalid_metadata_schema",
    }
    for metadata, error in bad.items():
        assert await _error(client.api_call("chat.postMessage", data={**form, "metadata": metadata})) == error
    assert len(fake.messages_in(QA)) == 1  # nothing half-stored
    [first] = fake.messages_in(QA)
    update = {"channel": QA, "ts": first.ts, "text": "changed", "metadata": "[]"}
    assert await _error(client.api_call("chat.update", data=update)) == "invalid_metadata_format"
    assert first.text == "form" and first.metadata == KEY


async def _all_pages(client: AsyncWebClient, method: str, **args) -> tuple[list[dict], list[bool]]:
    messages, more, cursor = [], [], None
    while True:
        page = await client.api_call(method, http_verb="GET", params={**args, "cursor": cursor})
        messages += page["messages"]
        more.append(page["has_more"])
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            return messages, more


async def test_history_pages_newest_first_without_thread_replies(
    fake: SlackWebAPI, client: AsyncWebClient, clock: FakeClock
) -> None:
    posted = []
    for n in range(5):
        clock.advance(1)
        metadata = {"event_type": "tsqa_post", "event_payload": {"n": n}}
        posted.append((await client.chat_postMessage(channel=QA, text=f"m{n}", metadata=metadata))["ts"])
    await client.chat_postMessage(channel=QA, thread_ts=posted[0], text="reply")
    await client.chat_postMessage(channel=QA, thread_ts=posted[0], text="broadcast", reply_broadcast=True)
    await client.chat_postEphemeral(channel=QA, user=ALICE, text="only Alice")
    gone = await client.chat_postMessage(channel=QA, text="deleted")
    await client.chat_delete(channel=QA, ts=gone["ts"])

    messages, more = await _all_pages(client, "conversations.history", channel=QA, limit=2)
    assert [m["text"] for m in messages] == ["broadcast", "m4", "m3", "m2", "m1", "m0"]
    assert more == [True, True, False]
    assert all("metadata" not in m for m in messages)
    assert messages[-1]["reply_count"] == 2

    with_keys = await client.conversations_history(channel=QA, include_all_metadata=True, limit=10)
    assert [m.get("metadata", {}).get("event_payload") for m in with_keys["messages"]] == [
        None,
        {"n": 4},
        {"n": 3},
        {"n": 2},
        {"n": 1},
        {"n": 0},
    ]
    window = await client.conversations_history(channel=QA, oldest=posted[1], latest=posted[3])
    assert [m["text"] for m in window["messages"]] == ["m2"]
    inclusive = await client.conversations_history(
        channel=QA, oldest=posted[1], latest=posted[3], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["m3", "m2", "m1"]


async def test_replies_list_the_thread_parent_first(fake: SlackWebAPI, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel=QA, text="Digest", metadata=KEY)
    replies = []
    for n in range(3):
        replies.append(await client.chat_postMessage(channel=QA, thread_ts=parent["ts"], text=f"r{n}"))
    await client.chat_postMessage(channel=QA, text="elsewhere")
    messages, more = await _all_pages(
        client, "conversations.replies", channel=QA, ts=replies[1]["ts"], limit=2
    )
    assert [m["text"] for m in messages] == ["Digest", "r0", "r1", "r2"] and more == [True, False]
    keyed = await client.conversations_replies(channel=QA, ts=parent["ts"], include_all_metadata=True)
    assert keyed["messages"][0]["metadata"] == KEY and "metadata" not in keyed["messages"][1]
    assert await _error(client.conversations_replies(channel=QA, ts="1.000001")) == "thread_not_found"


async def test_history_refuses_what_the_bot_cannot_read(fake: SlackWebAPI, client: AsyncWebClient) -> None:
    fake.add_channel("C0OUTSIDE", "outside", members=[ALICE], bot_member=False)
    fake.add_channel("C0PRIVATE", "private", members=[ALICE], is_private=True, bot_member=False)
    assert await _error(client.conversations_history(channel="C0OUTSIDE")) == "not_in_channel"
    assert await _error(client.conversations_history(channel="C0PRIVATE")) == "channel_not_found"
    assert await _error(client.conversations_history(channel=QA, cursor="bm9wZQ==")) == "invalid_cursor"
    for oldest in ("yesterday", "NaN", "Infinity"):
        assert await _error(client.conversations_history(channel=QA, oldest=oldest)) == "invalid_ts_oldest"
    assert await _error(client.conversations_history(channel=QA, latest="soon")) == "invalid_ts_latest"


async def test_a_dropped_connection_after_the_post_makes_a_retrying_client_post_twice(
    fake: SlackWebAPI,
) -> None:
    fake.drop_after_store("chat.postMessage")
    retrying = AsyncWebClient(
        token="xoxb-test",
        base_url=fake.api_url,
        retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=1)],
    )
    answer = await retrying.chat_postMessage(channel=QA, text="Digest", metadata=KEY)
    assert answer["ok"] is True
    assert [m.text for m in fake.messages_in(QA)] == ["Digest", "Digest"]  # the duplicate to prevent
    first, second = fake.calls_to("chat.postMessage")
    assert first.dropped and not second.dropped

    fake.drop_after_store("chat.postMessage")
    plain = AsyncWebClient(token="xoxb-test", base_url=fake.api_url, retry_handlers=[])
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await plain.chat_postMessage(channel=QA, text="Uncertain")
    assert [m.text for m in fake.messages_in(QA)][-1] == "Uncertain"
    found = await plain.conversations_history(channel=QA, include_all_metadata=True, limit=1)
    assert found["messages"][0]["text"] == "Uncertain"
