"""The reference for teams_load.py: a bare Teams SDK app that answers "help" in a personal chat.

`python bare_teams_app.py PORT [card]`: the same inbound auth as the bot (the SDK validates Bot Framework's
JWT against TEAMS_OPENID_METADATA_URL), mounted on aiohttp with the bot's thin `AiohttpAdapter`; it
answers 200 and then, in a task of its own, sends one short text to the connector. With `card` it
sends the activity in BARE_REPLY instead (the bot's own help card: the same bytes on the wire).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import jwt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def connector_token(scope: Any = None, tenant: str | None = None) -> str:
    """The app's own token for the connector, made here instead of at Microsoft's login servers
    (offline); the fake connector only checks that one is sent. Shared with the bot's launcher."""
    return _TOKEN


_TOKEN = jwt.encode(
    {"aud": "https://api.botframework.com", "appid": "bench"},
    "bench-only-not-a-secret-0123456789abcdef",
    algorithm="HS256",
)


async def serve(port: int, reply: dict[str, Any] | None) -> None:
    from aiohttp import web
    from microsoft_teams.api import Attachment, MessageActivity, MessageActivityInput
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
    from microsoft_teams.apps import ActivityContext, App

    from bot.teams.server import AiohttpAdapter

    cloud = with_overrides(PUBLIC, openid_metadata_url=os.environ["TEAMS_OPENID_METADATA_URL"])
    http = AiohttpAdapter(cloud.token_issuer)
    app = App(
        client_id=os.environ["TEAMS_APP_ID"],
        tenant_id=os.environ["TEAMS_TENANT_ID"],
        token=connector_token,
        cloud=cloud,
        http_server_adapter=http,
        messaging_endpoint="/api/messages",
        dangerously_allow_unauthenticated_requests=False,
        fetch_user_token=False,
        plugins=[],
    )
    sending: set[asyncio.Task[Any]] = set()  # kept so the loop does not drop a send half way

    def answer() -> MessageActivityInput:
        if reply is None:
            return MessageActivityInput(text="I answer help. That's all.")
        activity = MessageActivityInput(attachments=[Attachment(**a) for a in reply["attachments"]])
        activity.summary = reply.get("summary")
        return activity

    @app.on_message
    async def on_message(ctx: ActivityContext[MessageActivity]) -> None:
        if (ctx.activity.text or "").strip() == "help":
            # After the HTTP answer, as the bot does: Teams retries what is not answered fast.
            task = asyncio.ensure_future(ctx.send(answer()))
            sending.add(task)
            task.add_done_callback(sending.discard)

    await app.initialize()
    web_app = web.Application()
    web_app.add_routes(http.routes())
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    mode = sys.argv[2] if len(sys.argv) > 2 else ""
    asyncio.run(serve(int(sys.argv[1]), json.loads(os.environ["BARE_REPLY"]) if mode == "card" else None))
