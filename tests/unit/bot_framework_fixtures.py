"""What the Bot Framework fake's tests share: the app and people, a channel and its thread, the fake itself
and the SDK's connector client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from microsoft_teams.api import ConversationClient
from microsoft_teams.api.activities import MessageActivityInput
from microsoft_teams.common import ClientOptions

from tests.fakes import activities as teams
from tests.fakes.bot_framework import BotFramework

APP_ID = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"  # made up
OTHER_APP_ID = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
ALICE = teams.User("a1b2c3d4-0000-4000-8000-00000000a11c", "Alice Example")
BOB = teams.User("b0b0b0b0-0000-4000-8000-0000000000b0", "Bob Example")
CHANNEL = "19:c0ffee00aa11bb22cc33dd44ee55ff66@thread.tacv2"
TEAM = "19:7ea70000aa11bb22cc33dd44ee55ff66@thread.tacv2"
THREAD = f"{CHANNEL};messageid=1700000000000"


@pytest.fixture
async def bf() -> AsyncIterator[BotFramework]:
    async with BotFramework() as fake:
        yield fake


@pytest.fixture
def client(bf: BotFramework) -> ConversationClient:
    """The SDK's own connector client, as the bot's replies use it, with a JWT-shaped outbound token."""
    return ConversationClient(bf.url, ClientOptions(token="eyJhbGciOi.outbound.token"))


def message(text: str) -> MessageActivityInput:
    return MessageActivityInput(text=text)
