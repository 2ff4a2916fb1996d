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
from microsoft_teams.api import ClientCredentials
from microsoft_teams.api.auth.cloud_environment import from_name, with_overrides
from microsoft_teams.apps import App
from microsoft_teams.common import ClientOptions

from bot.config import Settings
from bot.dispatch import Dispatcher
from bot.teams.directory import Directory
from bot.teams.keys import BackgroundKeys, RememberedTokens
from bot.teams.listeners import TeamsListeners
from bot.teams.port import TeamsPort
from bot.teams.server import AiohttpAdapter

log = logging.getLogger("tsqa.teams")

MESSAGING_ENDPOINT = "/api/messages"
CONNECTOR_TIMEOUT = 30.0


class TeamsAdapter:
    """The Teams side of one bot process: `port` for handlers, `routes()` for the bot's server."""

    def __init__(self, settings: Settings, directory: Directory, *, token: Any = None):
        """`token`: a token provider instead of the app password, for tests only (the SDK's
        `TokenCredentials`); production signs in with TEAMS_APP_PASSWORD."""
        app_id = settings.teams_app_id or ""
        tenant = settings.teams_tenant_id or ""
        self.tenant = tenant
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
            # The SDK's client has no timeout of its own: a connector that never answers would hold a
            # post (and its claim) forever.
            "client": ClientOptions(timeout=CONNECTOR_TIMEOUT),
        }
        if token is not None:
            options["token"] = token
        else:
            password = settings.teams_app_password
            options["client_secret"] = password.get_secret_value() if password else ""
        self.app = App(**options)
        self.port = TeamsPort(
            self.app,
            directory,
            app_id=app_id,
            tenant_id=tenant,
            service_url=settings.teams_service_url,
            file_hosts=settings.teams_file_hosts,
        )
        self.settings = settings
        self.keys: BackgroundKeys | None = None
        self._refresher: asyncio.Future[None] | None = None
        self._signing_in: asyncio.Future[None] | None = None

    async def start(self, dispatcher: Dispatcher) -> None:
        """Routes registered and signing keys loaded before the server takes the first request."""
        TeamsListeners(dispatcher, self.port, self.tenant).register(self.app)
        await self.app.initialize()
        validator = self.app.server._token_validator  # noqa: SLF001 - see bot/teams/keys.py
        if validator is None:
            raise RuntimeError("Teams token validation is not configured: TEAMS_APP_ID is empty")
        service = validator._service_validator  # noqa: SLF001
        self.keys = BackgroundKeys(service._jwks_client.uri, asyncio.get_running_loop())  # noqa: SLF001
        service._jwks_client = self.keys  # noqa: SLF001
        self.http.keys = self.keys
        self.app.server._token_validator = RememberedTokens(validator)  # noqa: SLF001
        try:
            await self.keys.refresh()
        except Exception as exc:  # the bot still starts; requests get 401 until the keys arrive
            log.warning(
                "could not load Bot Framework's signing keys yet (%s); retrying in the background", exc
            )
        self._refresher = asyncio.ensure_future(self.keys.keep_fresh())
        if self.settings.teams_openid_metadata_url:
            log.warning(
                "TEAMS_OPENID_METADATA_URL is set: inbound tokens are checked against the keys at %s, "
                "not Bot Framework's. Only a test stand-in should ever need this.",
                self.settings.teams_openid_metadata_url,
            )
        self._signing_in = asyncio.ensure_future(self._prepare_sign_in())

    async def _prepare_sign_in(self) -> None:
        """MSAL's client discovers the tenant's authority with a blocking HTTP call when first built, and
        the SDK builds it on the event loop at the first send: build it here, in a thread, until it works."""
        credentials = self.app.credentials
        if not isinstance(credentials, ClientCredentials):
            return
        manager = self.app._token_manager  # noqa: SLF001
        while True:
            try:
                await asyncio.to_thread(manager._get_confidential_client, credentials, self.tenant)  # noqa: SLF001
                return
            except Exception as exc:
                log.warning("could not reach Microsoft's sign-in yet (%s); trying again in 30 s", exc)
                await asyncio.sleep(30)

    def routes(self) -> list[web.RouteDef]:
        return self.http.routes()

    async def stop(self) -> None:
        for task in (self._refresher, self._signing_in):
            if task is not None:
                task.cancel()
