"""The Teams port's retry policy against the Bot Framework fake's faults, through the real SDK App the
adapter builds: waits out 429s, retries only what cannot arrive twice, says so when an answer is lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

import bot.teams.port as port_module
from bot.chat.model import Message, MessageRef
from bot.chat.port import ChatError
from bot.teams.directory import Where
from bot.teams.port import TeamsPort
from tests.e2e.teams_harness import DIGEST_CHANNEL, LEAD, running_teams_bot
from tests.fakes.activities import TENANT_ID, personal_conversation_id, user_id
from tests.fakes.bot_framework import BotFramework, texts

CHAT = personal_conversation_id(LEAD.aad_object_id)
GROUP_ID = "2e4c6a8b-1d3f-4a5b-9c7d-8e0f1a2b3c4d"  # made up


class Waits:
    """Stands in for `asyncio` inside bot.teams.port only: records each wait the port asks for."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float) -> None:
        self.asked.append(delay)
        await asyncio.sleep(delay)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Waits:
    recorder = Waits()
    monkeypatch.setattr(port_module, "asyncio", recorder)
    return recorder


@pytest.fixture
async def teams(tmp_path: Path) -> AsyncIterator[tuple[TeamsPort, BotFramework]]:
    """The bot's TeamsPort, built by the adapter around an initialised SDK App, and the fake it calls."""
    async with running_teams_bot(f"sqlite+aiosqlite:///{tmp_path / 'tsqa.db'}") as (bot, side):
        port = bot.port
        assert isinstance(port, TeamsPort)
        yield port, side.bf


def calls(bf: BotFramework, operation: str, conversation: str = CHAT) -> list[tuple[int, bool]]:
    """(status, stored) of each call of one kind to one conversation, in order."""
    return [
        (s.status, s.stored)
        for s in bf.sent
        if s.operation == operation and s.conversation_id == conversation
    ]


async def test_a_429_is_waited_out_as_retry_after_says_and_the_post_lands_once(
    teams: tuple[TeamsPort, BotFramework], waits: Waits
) -> None:
    port, bf = teams
    bf.fail_next(1, 429, retry_after=1, operation="create")
    ref = await port.post(CHAT, Message.text("Daily digest is ready"))
    assert calls(bf, "create") == [(429, False), (201, True)]
    assert waits.asked == [1.0]
    assert ref.channel == CHAT and len(bf.posts(CHAT)) == 1
    assert bf.activity(ref.ts) is not None


async def test_a_server_error_on_a_new_post_is_not_retried(
    teams: tuple[TeamsPort, BotFramework], waits: Waits
) -> None:
    """It might have been stored: the claim that asked for the post decides whether to try again."""
    port, bf = teams
    bf.fail_next(1, 500, operation="create")
    with pytest.raises(ChatError) as raised:
        await port.post(CHAT, Message.text("Daily digest is ready"))
    assert raised.value.code == "http_500"
    assert calls(bf, "create") == [(500, False)]
    assert waits.asked == []


async def test_a_server_error_on_an_update_is_retried(
    teams: tuple[TeamsPort, BotFramework], waits: Waits
) -> None:
    port, bf = teams
    ref = await port.post(CHAT, Message.text("Working on it"))
    bf.fail_next(1, 500, operation="update")
    await port.update(ref, Message.text("Breakdown ready"))
    assert calls(bf, "update") == [(500, False), (200, True)]
    assert len(waits.asked) == 1 and waits.asked[0] > 0
    stored = bf.activity(ref.ts)
    assert stored is not None and "Breakdown ready" in texts(bf.cards(stored))


async def test_an_update_that_keeps_failing_gives_up_with_an_error(
    teams: tuple[TeamsPort, BotFramework], waits: Waits, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, bf = teams
    monkeypatch.setattr(port_module, "_backoff", lambda attempt: 0.0)
    ref = await port.post(CHAT, Message.text("Working on it"))
    bf.fail_next(port_module.MAX_TRIES, 503, operation="update")
    with pytest.raises(ChatError) as raised:
        await port.update(ref, Message.text("Breakdown ready"))
    assert raised.value.code == "http_503"
    assert len(calls(bf, "update")) == port_module.MAX_TRIES


async def test_an_answer_lost_after_the_post_was_stored_is_uncertain_and_not_retried(
    teams: tuple[TeamsPort, BotFramework], waits: Waits
) -> None:
    port, bf = teams
    bf.drop_after_store(1, operation="create")
    with pytest.raises(ChatError) as raised:
        await port.post(CHAT, Message.text("Daily digest is ready"))
    assert raised.value.code == "uncertain"
    assert [stored for _, stored in calls(bf, "create")] == [True]  # there once, and not sent again
    assert waits.asked == []


@pytest.mark.parametrize("filename", ["queue-export.csv", "report.pdf", "no-suffix"])
async def test_a_file_that_is_not_an_image_is_refused_before_any_call(
    teams: tuple[TeamsPort, BotFramework], filename: str
) -> None:
    port, bf = teams
    sent = len(bf.sent)
    with pytest.raises(ChatError) as raised:
        await port.upload_file(CHAT, filename, b"queue,output\nspam-pt,1200\n")
    assert raised.value.code == "files_not_supported"
    assert len(bf.sent) == sent


async def test_permalink_of_a_channel_message(teams: tuple[TeamsPort, BotFramework]) -> None:
    port, bf = teams
    where = Where(
        DIGEST_CHANNEL,
        "channel",
        bf.url,
        LEAD.aad_object_id,
        user_id(LEAD.aad_object_id),
        tenant=TENANT_ID,
        team="19:0f1e2d3c4b5a69788796a5b4c3d2e1f0@thread.tacv2",
        team_group=GROUP_ID,
        channel_name="queue-digest",
    )
    await port.directory.seen(where)
    link = urlsplit(await port.permalink(MessageRef(DIGEST_CHANNEL, "1700000000001")))
    assert (link.scheme, link.netloc) == ("https", "teams.microsoft.com")
    prefix, channel, ts = link.path.rsplit("/", 2)
    assert (prefix, unquote(channel), ts) == ("/l/message", DIGEST_CHANNEL, "1700000000001")
    query = parse_qs(link.query)
    assert query == {"tenantId": [TENANT_ID], "groupId": [GROUP_ID], "parentMessageId": ["1700000000001"]}


async def test_permalink_of_a_chat_message(teams: tuple[TeamsPort, BotFramework]) -> None:
    port, _ = teams
    link = urlsplit(await port.permalink(MessageRef(CHAT, "1700000000002")))
    assert unquote(link.path) == f"/l/message/{CHAT}/1700000000002"
    assert parse_qs(link.query) == {"tenantId": [TENANT_ID]}
