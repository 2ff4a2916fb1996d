"""`ChatPort.own_user` on each platform: the ID the bot has in member lists, so handlers can leave it out
without knowing which platform they run on."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from microsoft_teams.apps import App

from bot.chat.port import ChatError
from bot.local.webapi import SlackWebAPI
from bot.slack.app import BotIdentity
from bot.slack.port import SlackPort, make_client
from bot.teams.directory import Directory
from bot.teams.listeners import command_text
from bot.teams.port import TeamsPort
from tests.e2e.teams_harness import APP_ID, LEAD, QA_OPS, TEAM_ID, running_teams_bot
from tests.fakes.activities import channel_mention
from tests.unit.webapi_fake_harness import QA

LOCAL_BOT = "U0QUIZBOT"  # not the stand-in's default, so nothing can pass by matching a constant


async def test_slack_port_asks_auth_test_once_for_the_app_the_poster_and_handlers(clock) -> None:  # noqa: ANN001
    async with SlackWebAPI(clock=clock, bot_user_id=LOCAL_BOT) as api:
        port = SlackPort(make_client("xoxb-test", api.api_url))
        identity = await BotIdentity(port).load()
        assert identity.bot_user_id == LOCAL_BOT and identity.team_id == "T0TEST01"
        assert await port.own_user() == LOCAL_BOT
        assert await port.keyed.find_file(QA, None, "digest.png") is None
        assert len(api.calls_to("auth.test")) == 1


async def test_slack_port_does_not_remember_a_refusal(clock) -> None:  # noqa: ANN001
    async with SlackWebAPI(clock=clock, bot_user_id=LOCAL_BOT) as api:
        port = SlackPort(make_client("xoxb-test", api.api_url))
        api.error_next("auth.test", "invalid_auth")
        with pytest.raises(ChatError) as refused:
            await port.own_user()
        assert refused.value.code == "invalid_auth" and "SLACK_BOT_TOKEN" in refused.value.hint
        assert await port.own_user() == LOCAL_BOT


async def test_keyed_poster_finds_its_own_file_by_the_ports_user() -> None:
    """A chart the bot shared is found again only as the bot's own (on the real clock: the look-up reads
    the last day)."""
    async with SlackWebAPI(bot_user_id=LOCAL_BOT) as api:
        api.add_channel(QA, "qa-review", members=[LOCAL_BOT])
        port = SlackPort(make_client("xoxb-test", api.api_url))
        await port.upload_file(QA, "digest.png", b"\x89PNG made up")
        found = await port.keyed.find_file(QA, None, "digest.png")
        assert found is not None and found.channel == QA
        port.keyed.own_user = _someone_else
        assert await port.keyed.find_file(QA, None, "digest.png") is None


async def _someone_else() -> str:
    return "U0ALICE01"


async def test_teams_port_names_the_bot_as_its_activities_do(tmp_path: Path) -> None:
    async with running_teams_bot(f"sqlite+aiosqlite:///{tmp_path / 'tsqa.db'}") as (bot, side):
        port = bot.port
        assert isinstance(port, TeamsPort)
        own = await port.own_user()
        mention = channel_mention("quiz help", LEAD, QA_OPS, TEAM_ID, service_url=side.bf.url, app_id=APP_ID)
    assert own == mention["recipient"]["id"].lower() == f"28:{APP_ID}"
    assert command_text(mention) == "quiz help"  # the same account the listeners strip


async def test_teams_port_lower_cases_the_app_id_as_its_member_lists_do() -> None:
    port = TeamsPort(
        cast(App, None),
        cast(Directory, None),
        app_id=APP_ID.upper(),
        tenant_id="made-up-tenant",
        service_url="http://127.0.0.1:9",
    )
    assert await port.own_user() == f"28:{APP_ID}"
