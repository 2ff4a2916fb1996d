"""The Bot Framework fake checked against the Teams SDK itself: its tokens pass (or fail) the SDK's validator,
the SDK's connector client gets the answers it expects. The activity builders are checked in
test_bot_framework_fake_activities."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import httpx
import jwt
import pytest
from microsoft_teams.api import ConversationClient
from microsoft_teams.api.activities import MessageActivityInput, TypingActivityInput
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides
from microsoft_teams.api.clients.conversation import CreateConversationParams
from microsoft_teams.api.models import Account
from microsoft_teams.apps.auth.token_validator import InboundActivityTokenValidator, TokenValidator

from tests.fakes import activities as teams
from tests.fakes.bot_framework import BotFramework, Sent, cards, texts
from tests.unit.bot_framework_fixtures import ALICE, APP_ID, BOB, CHANNEL, OTHER_APP_ID, THREAD, message
from tests.unit.bot_framework_fixtures import bf as bf  # a fixture: in this module's names, pytest finds it
from tests.unit.bot_framework_fixtures import client as client  # a fixture


def cloud(bf: BotFramework) -> CloudEnvironment:
    return with_overrides(PUBLIC, openid_metadata_url=bf.openid_metadata_url)


# ----- keys and tokens -----


async def test_publishes_openid_metadata_and_keys_where_the_sdk_looks(bf: BotFramework) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(bf.openid_metadata_url) as response:
            metadata = await response.json()
        async with session.get(metadata["jwks_uri"]) as response:
            keys = (await response.json())["keys"]
    assert metadata["issuer"] == "https://api.botframework.com"
    assert metadata["jwks_uri"] == f"{bf.url}/v1/.well-known/keys"
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert [(k["kid"], k["kty"], k["use"], k["endorsements"]) for k in keys] == [
        (bf.kid, "RSA", "sig", ["msteams"])
    ]
    assert keys[0]["n"] and keys[0]["e"] == "AQAB"


async def test_its_token_passes_the_sdks_service_validator(bf: BotFramework) -> None:
    # The SDK fetches keys synchronously on this loop; the fake answers from its own thread.
    validator = TokenValidator.for_service(APP_ID, bf.url + "/", cloud=cloud(bf))
    claims = await validator.validate_token(bf.token(APP_ID))
    assert claims["aud"] == APP_ID and claims["iss"] == "https://api.botframework.com"
    assert claims["serviceurl"] == bf.url and claims["exp"] > claims["nbf"]
    assert jwt.get_unverified_header(bf.token(APP_ID))["kid"] == bf.kid


async def test_its_token_passes_the_inbound_validator_the_bot_runs(bf: BotFramework) -> None:
    activity = teams.personal_message("hello", ALICE, service_url=bf.url, app_id=APP_ID)
    validator = InboundActivityTokenValidator(APP_ID, cloud=cloud(bf))
    claims = await validator.validate_token(bf.token(APP_ID, activity["serviceUrl"]), activity["serviceUrl"])
    assert claims["serviceurl"] == activity["serviceUrl"]


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda bf: bf.forged_token(APP_ID), jwt.InvalidSignatureError),
        (lambda bf: bf.token(APP_ID, expired=True), jwt.ExpiredSignatureError),
        (lambda bf: bf.token(OTHER_APP_ID), jwt.InvalidAudienceError),
        (lambda bf: bf.token(APP_ID, audience="api://someone-else"), jwt.InvalidAudienceError),
        (lambda bf: bf.token(APP_ID, issuer="https://issuer.example"), jwt.InvalidIssuerError),
        (lambda bf: bf.token(APP_ID, "https://elsewhere.example/"), jwt.InvalidTokenError),
    ],
    ids=["forged", "expired", "other-app", "other-audience", "other-issuer", "other-service-url"],
)
async def test_the_sdk_validator_refuses_bad_tokens(
    bf: BotFramework, make: Any, error: type[Exception]
) -> None:
    validator = TokenValidator.for_service(APP_ID, bf.url, cloud=cloud(bf))
    with pytest.raises(error):
        await validator.validate_token(make(bf))


# ----- the connector as the SDK's client uses it -----


async def test_create_reply_update_delete_are_recorded_and_answered(
    bf: BotFramework, client: ConversationClient
) -> None:
    first = await client.create_activity(THREAD, message("first"))
    reply = await client.reply_to_activity(THREAD, "1700000000000", message("in the thread"))
    second = await client.create_activity(CHANNEL, message("top level"))
    updated = await client.update_activity(THREAD, first.id, message("first, edited"))
    await client.delete_activity(CHANNEL, reply.id)  # a thread's messages belong to its channel

    ids = [first.id, reply.id, second.id]
    assert all(i.isdigit() for i in ids) and ids == sorted(ids, key=int) and len(set(ids)) == 3
    assert [(s.operation, s.conversation_id, s.activity_id) for s in bf.sent] == [
        ("create", THREAD, first.id),
        ("reply", THREAD, reply.id),
        ("create", CHANNEL, second.id),
        ("update", THREAD, first.id),
        ("delete", CHANNEL, reply.id),
    ]
    assert all(s.authorization == "Bearer eyJhbGciOi.outbound.token" for s in bf.sent)
    assert [s.body["text"] for s in bf.posts()] == ["first", "in the thread", "top level"]
    assert [s.activity_id for s in bf.posts(THREAD)] == [first.id, reply.id]
    assert bf.posts()[1].body["replyToId"] == "1700000000000"
    assert updated.id == first.id and [s.body["text"] for s in bf.updates()] == ["first, edited"]
    assert bf.activity(first.id) == {"type": "message", "text": "first, edited"}
    assert bf.activity(reply.id) is None


async def test_conversation_ids_are_recorded_decoded_however_they_are_sent(bf: BotFramework) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer t"}) as session:
        encoded = "19%3Ac0ffee%40thread.tacv2%3Bmessageid%3D42"
        url = f"{bf.url}//v3/conversations/{encoded}/activities/42"  # trailing slash on serviceUrl
        async with session.post(url, json={"type": "message", "text": "hi"}) as response:
            assert response.status == 201
    assert (bf.sent[0].operation, bf.sent[0].conversation_id) == (
        "reply",
        "19:c0ffee@thread.tacv2;messageid=42",
    )
    assert bf.sent[0].body["replyToId"] == "42"


async def test_typing_is_answered_without_an_id_and_is_not_a_post(
    bf: BotFramework, client: ConversationClient
) -> None:
    await client.create_activity(THREAD, TypingActivityInput())
    assert bf.sent[0].status == 201 and bf.posts() == []


async def test_updating_a_message_the_bot_never_sent_is_not_found(
    bf: BotFramework, client: ConversationClient
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as failed:
        await client.update_activity(THREAD, "1700000000001", message("edited"))
    assert failed.value.response.status_code == 404
    assert failed.value.response.json()["error"]["code"] == "ActivityNotFoundInConversation"


async def test_a_call_without_a_bearer_token_is_refused_and_recorded(bf: BotFramework) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{bf.url}/v3/conversations/{THREAD}/activities"
        async with session.post(url, json={"type": "message", "text": "hi"}) as response:
            assert response.status == 401
    assert (bf.sent[0].status, bf.sent[0].authorization, bf.sent[0].stored) == (401, "", False)
    assert bf.posts() == []


async def test_malformed_and_oversized_activities_are_refused(
    bf: BotFramework, client: ConversationClient
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as failed:
        await client.create_activity(THREAD, message("x" * (101 * 1024)))
    assert failed.value.response.status_code == 413
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer t"}) as session:
        url = f"{bf.url}/v3/conversations/{THREAD}/activities"
        for body in ({"text": "no type"}, ["not", "an", "object"]):
            async with session.post(url, json=body) as response:
                assert response.status == 400
    assert [s.status for s in bf.sent] == [413, 400, 400] and bf.posts() == []


# ----- conversations and members -----


async def test_create_conversation_gives_the_same_personal_chat_for_the_same_person(
    bf: BotFramework, client: ConversationClient
) -> None:
    bf.add_member(CHANNEL, ALICE.aad_object_id, ALICE.name)
    by_bf_id = await client.create(
        CreateConversationParams(members=[Account(id=teams.user_id(ALICE.aad_object_id))], tenant_id="t")
    )
    with_message = await client.create(
        CreateConversationParams(
            members=[Account(id=teams.user_id(ALICE.aad_object_id))], activity=message("good morning")
        )
    )
    other = await client.create(
        CreateConversationParams(members=[Account(id=teams.user_id(BOB.aad_object_id))])
    )
    inbound = teams.personal_message("hi", ALICE, service_url=bf.url, app_id=APP_ID)

    assert by_bf_id.id == with_message.id == inbound["conversation"]["id"] != other.id
    assert by_bf_id.service_url == bf.url
    [first_post] = bf.posts(by_bf_id.id)
    assert (first_post.activity_id, first_post.activity["text"]) == (with_message.activity_id, "good morning")
    members = await client.get_members(by_bf_id.id)
    assert [(m.name, m.aad_object_id) for m in members] == [(ALICE.name, ALICE.aad_object_id)]


async def test_create_conversation_in_a_channel_starts_a_thread(
    bf: BotFramework, client: ConversationClient
) -> None:
    created = await client.create(
        CreateConversationParams(
            is_group=True, channel_data={"channel": {"id": CHANNEL}}, activity=message("daily")
        )
    )
    assert created.id == f"{CHANNEL};messageid={created.activity_id}"
    assert bf.posts()[0].activity["text"] == "daily" and bf.activity(created.activity_id or "") is not None


async def test_members_paged_and_by_id_come_from_the_seeded_roster(
    bf: BotFramework, client: ConversationClient
) -> None:
    for person in (ALICE, BOB):
        bf.add_member(CHANNEL, person.aad_object_id, person.name)
    everyone = await client.get_members(THREAD)
    first = await client.get_paged_members(THREAD, page_size=1)
    second = await client.get_paged_members(THREAD, page_size=1, continuation_token=first.continuation_token)
    bob = await client.get_member_by_id(CHANNEL, teams.user_id(BOB.aad_object_id))

    assert [m.name for m in everyone] == [ALICE.name, BOB.name]
    assert [m.name for m in first.members] == [ALICE.name] and first.continuation_token
    assert [m.name for m in second.members] == [BOB.name] and second.continuation_token is None
    assert (bob.aad_object_id, bob.given_name, bob.surname) == (BOB.aad_object_id, "Bob", "Example")
    assert (await client.get_activity_members(THREAD, "1700000000000"))[0].name == ALICE.name
    for missing in (
        client.get_member_by_id(CHANNEL, "29:nobody"),
        client.get_members("19:unknown@thread.tacv2"),
    ):
        with pytest.raises(httpx.HTTPStatusError) as failed:
            await missing
        assert failed.value.response.status_code == 404


# ----- faults -----


async def test_fail_next_answers_with_the_error_then_recovers(
    bf: BotFramework, client: ConversationClient
) -> None:
    bf.fail_next(2, status=429, retry_after=3)
    for _ in range(2):
        with pytest.raises(httpx.HTTPStatusError) as failed:
            await client.create_activity(THREAD, message("hi"))
        assert failed.value.response.status_code == 429
        assert failed.value.response.headers["Retry-After"] == "3"
    sent = await client.create_activity(THREAD, message("hi"))
    assert [s.status for s in bf.sent] == [429, 429, 201]
    assert [s.activity_id for s in bf.posts()] == [sent.id]


async def test_fail_next_can_target_one_operation(bf: BotFramework, client: ConversationClient) -> None:
    bf.fail_next(1, status=500, operation="update")
    posted = await client.create_activity(THREAD, message("hi"))
    with pytest.raises(httpx.HTTPStatusError):
        await client.update_activity(THREAD, posted.id, message("edited"))
    assert [(s.operation, s.status) for s in bf.sent] == [("create", 201), ("update", 500)]
    assert bf.activity(posted.id) == {"type": "message", "text": "hi"}


async def test_drop_after_store_keeps_the_message_but_gives_no_answer(
    bf: BotFramework, client: ConversationClient
) -> None:
    bf.drop_after_store(1)
    with pytest.raises(httpx.TransportError):
        await client.create_activity(THREAD, message("did it arrive?"))
    again = await client.create_activity(THREAD, message("did it arrive?"))
    assert [(s.status, s.stored) for s in bf.posts()] == [(0, True), (201, True)]
    assert bf.posts()[1].activity_id == again.id != bf.posts()[0].activity_id


# ----- helpers for assertions -----

CARD = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [
        {"type": "TextBlock", "text": "Queue digest"},
        {"type": "FactSet", "facts": [{"title": "Reviewed", "value": "42"}]},
        {"type": "Input.Text", "id": "note", "label": "Note", "placeholder": "Why?"},
    ],
    "actions": [
        {"type": "Action.Execute", "title": "Approve", "verb": "approve", "data": {"text": "secret"}}
    ],
}


async def test_cards_and_texts_read_what_a_person_would_see(
    bf: BotFramework, client: ConversationClient
) -> None:
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "content": CARD}
    await client.create_activity(THREAD, MessageActivityInput(attachments=[attachment]))
    found = cards(bf.posts()[0])
    assert found == [CARD] and bf.cards({"attachments": [attachment]}) == [CARD]
    assert texts(found[0]).splitlines() == ["Queue digest", "Reviewed", "42", "Note", "Why?", "Approve"]


async def test_wait_for_finds_a_later_call_and_times_out_with_what_was_seen(
    bf: BotFramework, client: ConversationClient
) -> None:
    await client.create_activity(THREAD, message("earlier"))
    mark = len(bf.sent)
    later = asyncio.create_task(client.create_activity(THREAD, message("later")))
    found = await bf.wait_for(lambda s: s.body.get("text") == "later", after=mark)
    await later
    assert isinstance(found, Sent) and found.operation == "create"
    with pytest.raises(TimeoutError, match="create"):
        await bf.wait_for(lambda s: s.operation == "update", timeout=0.05)


async def test_files_are_served_without_a_token(bf: BotFramework) -> None:
    url = bf.add_file("queue.csv", "id,decision\n1,approve\n")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            body, kind = await response.read(), response.content_type
        async with session.get(f"{bf.url}/files/missing") as response:
            assert response.status == 404
    assert (body, kind) == (b"id,decision\n1,approve\n", "text/csv")
    assert len(bf.downloads) == 2
