"""The Teams messaging endpoint on the bot's own aiohttp server: the SDK's `HttpServerAdapter`.

The SDK registers `POST /api/messages` here during `app.initialize()`; this turns aiohttp requests into
the SDK's framework-neutral requests and back. Order: only Bot Framework's issuer gets near the SDK's
token validation (401), then the body must be a JSON object (400), then the SDK validates and routes.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from microsoft_teams.apps.http.adapter import HttpMethod, HttpRequest, HttpRouteHandler

from bot.teams.keys import BackgroundKeys, issuer

log = logging.getLogger("tsqa.http")

# Bot Framework activities are small; a card action with a form's values stays well under this.
MAX_BODY = 1024 * 1024


class AiohttpAdapter:
    """Collects the SDK's routes; `routes()` mounts them on the bot's server (no second server)."""

    def __init__(self, token_issuer: str):
        self.token_issuer = token_issuer
        self._routes: list[web.RouteDef] = []
        self.keys: BackgroundKeys | None = None  # set once the signing keys are loaded

    def register_route(self, method: HttpMethod, path: str, handler: HttpRouteHandler) -> None:
        self._routes.append(web.route(method, path, self._wrap(handler)))

    def serve_static(self, path: str, directory: str) -> None:
        """Tabs and static pages are not part of this bot."""

    async def start(self, port: int) -> None:
        raise NotImplementedError("tsqa-bot mounts Teams on its own server: call app.initialize()")

    async def stop(self) -> None:
        """The bot's server stops with the bot."""

    def routes(self) -> list[web.RouteDef]:
        return list(self._routes)

    def _wrap(self, handler: HttpRouteHandler) -> Any:
        async def serve(request: web.Request) -> web.StreamResponse:
            authorization = request.headers.get("Authorization", "")
            raw = authorization.removeprefix("Bearer ").strip()
            if not authorization.startswith("Bearer ") or issuer(raw) != self.token_issuer:
                # Agent-365 tokens (another issuer) would make the SDK fetch keys per tenant, on the loop.
                log.warning("rejected a Teams request without a Bot Framework token")
                return web.json_response({"error": "Unauthorized"}, status=401)
            if request.content_length and request.content_length > MAX_BODY:
                return web.json_response({"error": "payload too large"}, status=413)
            try:
                body = json.loads(await request.read())
            except (ValueError, RecursionError):  # RecursionError: a body of nested brackets
                body = None
            if not isinstance(body, dict):
                return web.json_response({"error": "malformed payload"}, status=400)
            if self.keys is not None and not self.keys.endorsed_for(raw, body.get("channelId")):
                log.warning("rejected an activity signed by a key not endorsed for its channel")
                return web.json_response({"error": "Unauthorized"}, status=401)
            headers = {name.lower(): value for name, value in request.headers.items()}
            response = await handler(HttpRequest(body=body, headers=headers))
            status = response["status"]
            if response["body"] is None:
                return web.Response(status=status)
            return web.json_response(response["body"], status=status)

        return serve
