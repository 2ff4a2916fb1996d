"""End-to-end harness for Teams: the real bot with the Teams SDK on its own server, the Bot Framework
fake (token keys and connector) on loopback, and a client that posts activities as Teams does.

The bot validates every token with the SDK's Bot Framework validator against the fake's keys; the
only thing a test replaces is where the bot gets its own outbound token (Microsoft's login servers).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt

from bot.app import TsqaBot
from bot.config import Settings
from bot.context import utc_now
from bot.routing import Router
from bot.teams.directory import Directory
from bot.workspace import Workspace, load_workspace
from storage.engine import Database
from storage.migrate import upgrade
from tests.fakes import activities
from tests.fakes.activities import TENANT_ID, User
from tests.fakes.bot_framework import BotFramework
from tests.teams_cards import validate_activity

APP_ID = "5f1c2d3e-4b5a-4697-8a8b-9c0d1e2f3a4b"  # made up
ROOT = Path(__file__).resolve().parents[2]

LEAD = User("3c0f6e2a-7b41-4d8e-9a15-0000000a0001", "Quinn Lead")
TRAINER = User("3c0f6e2a-7b41-4d8e-9a15-0000000a0002", "Tara Trainer")
NORTHWIND_LEAD = User("3c0f6e2a-7b41-4d8e-9a15-0000000a0003", "Nico Vendorlead")
LABELER = User("3c0f6e2a-7b41-4d8e-9a15-0000000c0001", "Lee Labeler")

TEAM_ID = "19:0f1e2d3c4b5a69788796a5b4c3d2e1f0@thread.tacv2"  # the team's General channel: qa-ops
QA_OPS = TEAM_ID
DIGEST_CHANNEL = "19:1a2b3c4d5e6f70819283a4b5c6d7e8f9@thread.tacv2"
NORTHWIND_CHANNEL = "19:2b3c4d5e6f708192a3b4c5d6e7f80912@thread.tacv2"
BLUEBIRD_CHANNEL = "19:3c4d5e6f708192a3b4c5d6e7f8091a2b@thread.tacv2"


def teams_workspace() -> Workspace:
    return load_workspace(ROOT / "examples" / "workspace-teams.yml")


def outbound_token(scope: Any, tenant: str | None = None) -> str:
    """The bot's own token for the connector, in place of Microsoft's login servers."""
    return jwt.encode(
        {"aud": "https://api.botframework.com", "appid": APP_ID},
        "test-only-not-a-secret-0123456789abcdef",
        algorithm="HS256",
    )


@dataclass
class TeamsSide:
    """Posts activities to the bot's /api/messages as Teams does: signed by the Bot Framework."""

    url: str
    bf: BotFramework

    async def send(self, activity: dict[str, Any], *, token: str | None = None) -> tuple[int, Any]:
        signed = self.bf.token(APP_ID, activity.get("serviceUrl")) if token is None else token
        return await activities.send(self.url, activity, signed)

    def where(self) -> dict[str, Any]:
        return {"service_url": self.bf.url, "app_id": APP_ID}

    async def personal(self, text: str, user: User = LEAD, **kwargs: Any) -> tuple[dict[str, Any], int]:
        activity = activities.personal_message(text, user, **self.where(), **kwargs)
        status, _ = await self.send(activity)
        return activity, status

    async def mention(
        self, text: str, user: User = LEAD, channel: str = QA_OPS, **kwargs: Any
    ) -> tuple[dict[str, Any], int]:
        activity = activities.channel_mention(text, user, channel, TEAM_ID, **self.where(), **kwargs)
        status, _ = await self.send(activity)
        return activity, status

    async def install_in_team(self) -> None:
        for activity in activities.installed_in_team(TEAM_ID, TEAM_ID, **self.where()):
            status, _ = await self.send(activity)
            assert status == 200


def message_payload(message_id: str, author: User, html: str, *, link: str | None = None) -> dict[str, Any]:
    """What Teams sends about the message a message action was chosen on (`value.messagePayload`)."""
    return {
        "id": message_id,
        "createdDateTime": "2026-11-30T09:40:00.000Z",
        "deleted": False,
        "importance": "normal",
        "locale": "en-us",
        "linkToMessage": link,
        "from": {
            "user": {
                "id": author.aad_object_id,
                "displayName": author.name,
                "userIdentityType": "aadUser",
            },
        },
        "body": {"contentType": "html", "content": html},
        "attachments": [],
        "mentions": [],
        "reactions": [],
    }


def message_action_open(
    command_id: str,
    payload: dict[str, Any],
    user: User,
    conversation: str,
    **where: Any,
) -> dict[str, Any]:
    """A message action chosen in a message's "More actions": `composeExtension/fetchTask`."""
    activity = activities.dialog_open({}, user, conversation, payload["id"], **where)
    activity["name"] = "composeExtension/fetchTask"
    activity["value"] = {
        "commandId": command_id,
        "commandContext": "message",
        "messagePayload": payload,
        "context": {"theme": "default"},
    }
    return activity


def message_action_submit(
    command_id: str,
    data: dict[str, Any],
    user: User,
    conversation: str,
    message_id: str,
    **where: Any,
) -> dict[str, Any]:
    """The message action's dialog submitted: `composeExtension/submitAction`, its fields in `data`."""
    activity = activities.dialog_submit(data, user, conversation, message_id, **where)
    activity["name"] = "composeExtension/submitAction"
    activity["value"] = {
        "commandId": command_id,
        "commandContext": "message",
        "data": data,
        "context": {"theme": "default"},
    }
    return activity


def seed_team(bf: BotFramework, workspace: Workspace) -> None:
    """The team's channels and people as Teams would list them to the bot."""
    bf.add_team(TEAM_ID, [(c.id, c.name) for c in workspace.channels])
    for person in workspace.people:
        for channel in workspace.channels:
            bf.add_member(channel.id, person.id, person.name)


async def install_before(
    database_url: str, workspace: Workspace, service_url: str, clock: Callable[[], datetime]
) -> None:
    """What an earlier run learnt when the app was added to the team: its channels' references."""
    db = Database(database_url)
    await upgrade(db)
    directory = Directory(db, workspace, clock)
    for channel in workspace.channels:
        await directory.remember_channel(channel.id, channel.name, TEAM_ID, service_url)
    await db.dispose()


@asynccontextmanager
async def running_teams_bot(
    database_url: str,
    *,
    workspace: Workspace | None = None,
    clock: Callable[[], datetime] = utc_now,
    installed: bool = True,
    router: Router | None = None,
) -> AsyncIterator[tuple[TsqaBot, TeamsSide]]:
    """`installed`: the app was added to the team in an earlier run (as a deployment finds it after a
    restart); False for a first start, when the bot knows no conversation yet. `router`: routes a test
    adds to the real capabilities."""
    # Without a workspace given, no scheduled digests: on the real clock one would fall due during
    # the scenario at some hours of the day (08:00 in Nairobi is 05:00 UTC) and speak in it.
    workspace = workspace or teams_workspace().model_copy(update={"digests": []})
    async with BotFramework() as bf:
        seed_team(bf, workspace)
        settings = Settings(
            teams_app_id=APP_ID,
            teams_tenant_id=TENANT_ID,
            teams_service_url=bf.url,
            teams_openid_metadata_url=bf.openid_metadata_url,
            teams_file_hosts=["127.0.0.1"],  # the fake serves files over http on loopback
            database_url=database_url,
            host="127.0.0.1",
            port=0,
            _env_file=None,
        )
        if installed:
            await install_before(database_url, workspace, bf.url, clock)
        bot = TsqaBot(settings, workspace, clock=clock, router=router, teams_token=outbound_token)
        await bot.start()
        try:
            yield bot, TeamsSide(f"http://127.0.0.1:{bot.http_port}/api/messages", bf)
        finally:
            await bot.stop()
        # Every card the bot sent in the scenario: valid Adaptive Cards 1.5, under Teams' size limit.
        for sent in bf.posts() + bf.updates():
            validate_activity(sent.activity)


# The escalation directory of the Teams example (examples/workspace-teams.yml).
ESCALATION_CHANNEL = "19:4d5e6f708192a3b4c5d6e7f8091a2b3c@thread.tacv2"
ONCALL = User("3c0f6e2a-7b41-4d8e-9a15-0000000d0001", "Robin Oncall")  # R&D on-call (tier 1)
RD_LEAD = User("3c0f6e2a-7b41-4d8e-9a15-0000000d0002", "Remy Englead")  # R&D escalation (tier 2)


def mentioned(activity: dict[str, Any] | None) -> set[str]:
    """The people a bot's card mentions (its `msteams.entities`), by Entra object ID."""
    found: set[str] = set()
    for attachment in (activity or {}).get("attachments") or []:
        entities = ((attachment.get("content") or {}).get("msteams") or {}).get("entities") or []
        found |= {e["mentioned"]["id"] for e in entities if e.get("type") == "mention"}
    return found
