"""What the policy cascade tests share: the users and channels, a chat port that records what it sends,
the example workspace and policy library, and the services a cascade runs with."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.chat.model import Markup, Message, MessageRef, md
from bot.chat.port import ChatError
from bot.context import Services
from bot.roles import RoleResolver
from handlers.policy import store
from handlers.quiz import store as quiz_store
from storage.engine import Database
from tests.conftest import ROOT
from tests.unit.test_quiz_assign import bank

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 10:00 in Dublin
ADMIN, LEE, KAI, NICO, BOT = "U0QALEAD1", "U0LABEL01", "U0LABEL02", "U0NWLEAD1", "UBOT0001"
NORTHWIND, BLUEBIRD, QA_OPS = "C0NWIND01", "C0BLUEB01", "C0QAOPS01"


class FakePort:
    """Posts and DMs recorded; channel members from a dict; a channel missing from it is refused."""

    def __init__(self, channels: dict[str, list[str]]) -> None:
        self.channels = channels
        self.posts: list[tuple[str, Message]] = []
        self.dms: list[tuple[str, Message]] = []
        self.updates: list[tuple[MessageRef, Message]] = []

    async def own_user(self) -> str:
        return BOT

    async def post(self, channel: str, message: Message, *, key: str | None = None, look_first: bool = False):  # noqa: ANN201
        if channel not in self.channels:
            raise ChatError("not_in_channel", "invite the bot")
        self.posts.append((channel, message))
        return MessageRef(channel, str(len(self.posts)))

    async def dm(self, user: str, message: Message, *, key: str | None = None, look_first: bool = False):  # noqa: ANN201
        self.dms.append((user, message))
        return MessageRef(f"D{user}", str(len(self.dms)))

    async def channel_members(self, channel: str) -> list[str]:
        if channel not in self.channels:
            raise ChatError("not_in_channel", "invite the bot")
        return self.channels[channel]

    async def usergroup_members(self, usergroup: str) -> list[str]:
        return []

    async def update(self, ref: MessageRef, message: Message) -> None:
        self.updates.append((ref, message))

    def join_hint(self, channel: Markup) -> Markup:
        return md("invite the bot to {}", channel)


@pytest.fixture
def workspace():  # noqa: ANN201
    from bot.workspace import load_workspace

    return load_workspace(ROOT / "examples" / "workspace.yml").model_copy(update={"digests": []})


@pytest.fixture
async def library(db: Database) -> Database:
    await store.load_dir(db, ROOT / "examples" / "policies", NOW)
    await quiz_store.import_bank(db, bank(), NOW)
    return db


def services(db: Database, port: FakePort, clock: list[datetime], ws) -> Services:  # noqa: ANN001
    roles = RoleResolver(ws, port.usergroup_members)
    return Services(port=port, db=db, workspace=ws, roles=roles, settings=None, clock=lambda: clock[0])  # type: ignore[arg-type]


def with_cascade_timers(svc: Services) -> Services:
    """The services with the cascade's reminder and summary timers, as the router registers them."""
    from handlers.policy.cascade_routes import REMIND, SUMMARY

    svc.timers = {REMIND.kind: REMIND, SUMMARY.kind: SUMMARY}
    return svc


def members_port() -> FakePort:
    """Members as the ports give them: bots (the bot itself too) already left out."""
    return FakePort({NORTHWIND: [NICO, LEE], BLUEBIRD: [KAI], QA_OPS: [ADMIN]})
