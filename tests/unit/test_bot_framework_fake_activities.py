"""The activity builders the Teams tests send with, checked against the SDK: they parse as its models, and
`send` posts one as the Bot Framework does."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from microsoft_teams.api.activities import ActivityTypeAdapter
from microsoft_teams.api.models.file import FileDownloadInfo

from tests.fakes import activities as teams
from tests.fakes.bot_framework import BotFramework
from tests.unit.bot_framework_fixtures import ALICE, APP_ID, BOB, CHANNEL, TEAM, THREAD
from tests.unit.bot_framework_fixtures import bf as bf  # a fixture: in this module's names, pytest finds it


def test_builders_parse_as_the_sdks_activity_models(bf: BotFramework) -> None:
    where = {"service_url": "https://svc.example/teams/", "app_id": APP_ID}
    built = {
        "MessageActivity": teams.personal_message("hello", ALICE, **where),
        "AdaptiveCardInvokeActivity": teams.card_action(
            "approve", {"q": "1"}, ALICE, THREAD, "1700000000001", **where
        ),
        "TaskFetchInvokeActivity": teams.dialog_open(
            {"form": "appeal"}, ALICE, CHANNEL, "1700000000002", **where
        ),
        "TaskSubmitInvokeActivity": teams.dialog_submit({"reason": "typo"}, ALICE, "a:personal-x", **where),
    }
    for name, activity in built.items():
        parsed = ActivityTypeAdapter.validate_python(activity)
        assert type(parsed).__name__ == name
        assert parsed.recipient.id == f"28:{APP_ID}" and parsed.from_.aad_object_id == ALICE.aad_object_id
        assert parsed.service_url == where["service_url"] and parsed.conversation.tenant_id == teams.TENANT_ID
    card = ActivityTypeAdapter.validate_python(built["AdaptiveCardInvokeActivity"])
    assert (card.value.action.type, card.value.action.verb, card.value.action.data) == (
        "Action.Execute",
        "approve",
        {"q": "1"},
    )
    assert card.reply_to_id == "1700000000001" and card.conversation.conversation_type == "channel"
    opened = ActivityTypeAdapter.validate_python(built["TaskFetchInvokeActivity"])
    assert opened.conversation.id == f"{CHANNEL};messageid=1700000000002"  # Teams names the card's thread
    assert opened.channel_data.team.id == CHANNEL and opened.value.context.theme == "default"


def test_a_channel_mention_is_addressed_to_the_bot_in_a_thread() -> None:
    new = teams.channel_mention("digest today", ALICE, CHANNEL, TEAM, service_url="https://s/", app_id=APP_ID)
    reply = teams.channel_mention(
        "digest", BOB, CHANNEL, TEAM, service_url="https://s/", app_id=APP_ID, thread_root=new["id"]
    )
    parsed = ActivityTypeAdapter.validate_python(new)
    assert parsed.text == "<at>tsqa</at> digest today" and parsed.strip_mentions_text().text == "digest today"
    assert parsed.conversation.id == f"{CHANNEL};messageid={new['id']}" and parsed.reply_to_id is None
    assert (parsed.channel_data.team.id, parsed.channel_data.channel.id) == (TEAM, CHANNEL)
    assert parsed.channel_data.team.aad_group_id and parsed.channel_data.tenant.id == teams.TENANT_ID
    assert reply["conversation"]["id"] == parsed.conversation.id and reply["replyToId"] == new["id"]


def test_installs_send_both_installation_and_conversation_updates() -> None:
    where = {"service_url": "https://s/", "app_id": APP_ID}
    for pair, kind in (
        (teams.installed_personal(ALICE, **where), "personal"),
        (teams.installed_in_team(TEAM, TEAM, **where), "channel"),
    ):
        install, update = (ActivityTypeAdapter.validate_python(a) for a in pair)
        assert (install.type, install.action) == ("installationUpdate", "add")
        assert [m.id for m in update.members_added] == [f"28:{APP_ID}"]
        assert install.conversation.conversation_type == update.conversation.conversation_type == kind


def test_a_file_in_a_personal_chat_carries_a_download_url() -> None:
    activity = teams.file_in_personal_chat(
        "queue.csv", "https://files.example/1", ALICE, service_url="https://s/", app_id=APP_ID
    )
    attachment = ActivityTypeAdapter.validate_python(activity).attachments[0]
    info = FileDownloadInfo.model_validate(attachment.content)
    assert attachment.content_type == teams.FILE_DOWNLOAD_INFO and attachment.name == "queue.csv"
    assert (info.download_url, info.file_type) == ("https://files.example/1", "csv") and info.unique_id


def test_ids_are_fresh_unless_a_retry_passes_the_same_one() -> None:
    where = {"service_url": "https://s/", "app_id": APP_ID}
    first, second = (teams.personal_message("hi", ALICE, **where) for _ in range(2))
    retry = teams.personal_message("hi", ALICE, id=first["id"], **where)
    assert first["id"] != second["id"] and retry["id"] == first["id"]
    assert teams.aad_of(teams.user_id(ALICE.aad_object_id)) == ALICE.aad_object_id
    assert teams.aad_of("29:opaque-id") == "29:opaque-id"


async def test_send_posts_the_activity_with_the_bearer_token() -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    async def messages(request: web.Request) -> web.Response:
        seen.append((request.headers["Authorization"], json.loads(await request.read())))
        return web.json_response({"status": 200}) if request.method == "POST" else web.Response(status=405)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    async with TestServer(app, host="127.0.0.1") as server:
        activity = teams.personal_message("hi", ALICE, service_url="https://s/", app_id=APP_ID)
        status, body = await teams.send(str(server.make_url("/api/messages")), activity, "tok")
    assert (status, body) == (200, {"status": 200}) and seen == [("Bearer tok", activity)]
