"""Assemble the Bolt app around the dispatcher: client with retries, identity, listeners, payload errors."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse

from bot.chat.port import ChatError
from bot.dispatch import Dispatcher
from bot.slack.listeners import register_listeners
from bot.slack.port import SlackPort

log = logging.getLogger("tsqa.slack")


class BotIdentity:
    """Who the bot is in this workspace, asked once (auth.test) instead of on every request."""

    def __init__(self, port: SlackPort):
        self.port = port
        self.result: AuthorizeResult | None = None

    async def load(self) -> AuthorizeResult:
        response = await self.port.identity()
        self.result = AuthorizeResult(
            enterprise_id=response.get("enterprise_id"),
            team_id=response.get("team_id"),
            bot_user_id=response.get("user_id"),
            bot_id=response.get("bot_id"),
            bot_token=self.port.client.token,
        )
        return self.result

    def authorizer(self):  # noqa: ANN201 - Bolt inspects the returned function's parameter names
        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            return self.result or await self.load()

        return authorize


def build_bolt_app(
    dispatcher: Dispatcher, port: SlackPort, identity: BotIdentity, signing_secret: str | None
) -> AsyncApp:
    # Signatures are checked by the HTTP server before Bolt parses the body (so a forged request is
    # 401 even when its body is garbage); Socket Mode needs none.
    app = AsyncApp(
        signing_secret=signing_secret or "unused-in-socket-mode",
        authorize=identity.authorizer(),
        request_verification_enabled=False,
        # Bolt then awaits the listener instead of polling for the ack every 10 ms; every listener
        # acks within its budget and leaves slow work to the background.
        process_before_response=True,
        logger=logging.getLogger("tsqa.bolt"),
    )
    register_listeners(app, dispatcher, port)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        if isinstance(error, KeyError | TypeError | ValueError | AttributeError):
            log.warning("malformed payload: %s (%s)", type(error).__name__, error)
            return BoltResponse(status=400, body="malformed payload")
        log.error("listener failed", exc_info=error)
        return None

    return app


__all__ = ["BotIdentity", "ChatError", "build_bolt_app"]
