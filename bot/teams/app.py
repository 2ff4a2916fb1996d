"""Assemble the Teams SDK's App around the dispatcher: explicit options, the bot's own server, keys.

Every option is passed from the bot's settings: the SDK also reads CLIENT_ID, CLIENT_SECRET,
TENANT_ID, SERVICE_URL, CLOUD and DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS from the environment
(and loads a .env on import), and those must never decide how this bot authenticates.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from microsoft_teams.api.auth.cloud_environment import from_name, with_overrides
from microsoft_teams.apps import App

from bot.config import Settings
from bot.dispatch import Dispatcher
from bot.teams.directory import Directory
from bot.teams.keys import BackgroundKeys
from bot.teams.listeners import TeamsListeners
from bot.teams.port import TeamsPort
from bot.teams.server import AiohttpAdapter

log = logging.getLogger("tsqa.teams")

MESSAGING_ENDPOINT = "/api/messages"


class TeamsAdapter:
    """The Teams side of one bot process: `port` for handlers, `routes()` for the bot's server."""

    def __init__(self, settings: Settings, directory: Directory, *, token: Any = None):
        """`token`: a token provider instead of the app password, for tests only (the SDK's
        `TokenCredentials`); production signs in with TEAMS_APP_PASSWORD."""
        app_id = settings.teams_app_id or ""
        tenant = settings.teams_tenant_id or ""
        cloud = from_name(settings.teams_cloud)
        self.cloud = with_overrides(cloud, openid_metadata_url=settings.teams_openid_metadata_url)
        self.http = AiohttpAdapter(self.cloud.token_issuer)
        options: dict[str, Any] = {
            "client_id": app_id,
            "tenant_id": tenant,
            "service_url": settings.teams_service_url,
            "cloud": self.cloud,
            "http_server_adapter": self.http,
            "messaging_endpoint": MESSAGING_ENDPOINT,
            "dangerously_allow_unauthenticated_requests": False,
            "fetch_user_token": False,
            "plugins": [],
        }
        if token is not None:
            options["token"] = token
        else:
            password = settings.teams_app_password
            options["client_secret"] = password.get_secret_value() if password else ""
        self.app = App(**options)
        self.port = TeamsPort(
            self.app, directory, app_id=app_id, tenant_id=tenant, service_url=settings.teams_service_url
        )
        self.keys: BackgroundKeys | None = None
        self._refresher: asyncio.Task[None] | None = None

    async def start(self, dispatcher: Dispatcher) -> None:
        """Routes registered and signing keys loaded before the server takes the first request."""
        TeamsListeners(dispatcher, self.port).register(self.app)
        await self.app.initialize()
        validator = self.app.server._token_validator  # noqa: SLF001 - see bot/teams/keys.py
        if validator is None:
            raise RuntimeError("Teams token validation is not configured: TEAMS_APP_ID is empty")
        service = validator._service_validator  # noqa: SLF001
        self.keys = BackgroundKeys(service._jwks_client.uri, asyncio.get_running_loop())  # noqa: SLF001
        service._jwks_client = self.keys  # noqa: SLF001
        try:
            await self.keys.refresh()
        except Exception as exc:  # the bot still starts; requests get 401 until the keys arrive
            log.warning(
                "could not load Bot Framework's signing keys yet (%s); retrying in the background", exc
            )
        self._refresher = asyncio.ensure_future(self.keys.keep_fresh())

    def routes(self) -> list[web.RouteDef]:
        return self.http.routes()

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
