"""Socket Mode: with SLACK_APP_TOKEN the bot needs no public URL; the same listeners answer."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

from bot.app import TsqaBot
from bot.config import Settings
from tests.e2e.harness import TOKEN, eventually, seeded_fake, texts
from tests.fakes import signing
from tests.fakes.socket_mode import APP_TOKEN, SocketModeFake


async def test_commands_and_events_over_socket_mode(workspace, sqlite_db) -> None:
    quiet = workspace.model_copy(update={"digests": []})
    api = seeded_fake(quiet)
    slack = SocketModeFake(api)
    api_url = await slack.start()
    settings = Settings(
        slack_bot_token=TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=None,
        slack_api_url=api_url,
        database_url=str(sqlite_db.url),
        host="127.0.0.1",
        port=0,
        _env_file=None,
    )
    bot = TsqaBot(settings, quiet)
    await bot.start()
    try:
        await asyncio.wait_for(slack.connected.wait(), 10)
        body = signing.slash_command_body(
            "/digest", "help", "U0LABEL01", "C0QAOPS01", api.new_response_url("C0QAOPS01", "U0LABEL01"), "t1"
        )
        ack = await slack.send("slash_commands", dict(parse_qsl(body.decode())))
        assert "*/digest*" in texts(ack["payload"]["blocks"])
        message = api.add_message("C0QAOPS01", "U0LABEL01", "<@UBOT0001> hi")
        event = {
            "type": "app_mention",
            "user": "U0LABEL01",
            "text": "<@UBOT0001> hi",
            "channel": "C0QAOPS01",
            "ts": message.ts,
            "event_ts": message.ts,
        }
        envelope = {
            "type": "event_callback",
            "event_id": "EvSock1",
            "event": event,
            "team_id": "T0TEST01",
            "api_app_id": "A0TEST01",
        }
        await slack.send("events_api", envelope)
        replies = await eventually(lambda: api.messages_in("C0QAOPS01", thread_ts=message.ts)[1:])
        assert "/escalate" in texts(replies[0].blocks)
        assert slack.opened_with == [f"Bearer {APP_TOKEN}"]
    finally:
        await bot.stop()
        await slack.stop()
