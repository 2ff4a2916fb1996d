"""Assembly and lifecycle: database, router, the chat adapter (Slack or Teams, by the workspace file's
`platform`), HTTP server, scheduler, graceful stop."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

import handlers
from bot.chat.port import ChatPort
from bot.config import Settings
from bot.context import Services, utc_now
from bot.dispatch import Dispatcher
from bot.roles import RoleResolver
from bot.routing import Router
from bot.scheduler import Scheduler
from bot.setup_check import report_setup_problems
from bot.slack.app import BotIdentity, build_bolt_app
from bot.slack.port import SlackPort, make_client
from bot.slack.server import health_routes, slack_routes
from bot.workspace import Workspace
from storage.engine import Database
from storage.migrate import upgrade

log = logging.getLogger("tsqa.app")


class TsqaBot:
    """One bot process. `start()` serves; `stop()` stops taking requests, finishes work, closes the DB."""

    def __init__(
        self,
        settings: Settings,
        workspace: Workspace,
        *,
        clock: Callable[[], datetime] = utc_now,
        router: Router | None = None,
        teams_token: Any = None,
    ):
        """`teams_token`: a token provider in place of the Teams app password (tests only)."""
        self.settings = settings
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        self.db = Database(settings.database_url)
        self.teams: Any = None
        port: ChatPort
        if workspace.platform == "teams":
            from bot.teams.app import TeamsAdapter  # the SDK is heavy to import: only when used
            from bot.teams.directory import Directory

            self.teams = TeamsAdapter(settings, Directory(self.db, workspace, clock), token=teams_token)
            port = self.teams.port
            secret = None
        else:
            port = SlackPort(make_client(token, settings.slack_api_url))
        self.port = port
        self.router = handlers.collect(router)
        roles = RoleResolver(workspace, self.port.usergroup_members)
        self.services = Services(
            self.port, self.db, workspace, roles, settings, clock, timers=self.router.timers
        )
        self.dispatcher = Dispatcher(self.router, self.services)
        self.identity = BotIdentity(self.port) if self.teams is None else None
        self.bolt = (
            build_bolt_app(self.dispatcher, self.port, self.identity, secret) if self.identity else None
        )
        self.scheduler = Scheduler(self.services, self.router)
        self._signing_secret = secret
        self.mounts: list[Callable[[web.Application], None]] = []  # e.g. the local workspace's routes
        self._runner: web.AppRunner | None = None
        self._socket = None
        self.http_port: int | None = None

    def web_app(self) -> web.Application:
        app = web.Application()
        app.add_routes(health_routes(self.db.ping))
        if self._signing_secret and self.bolt is not None:
            app.add_routes(slack_routes(self.bolt, self._signing_secret))
        if self.teams is not None:
            app.add_routes(self.teams.routes())
        for mount in self.mounts:
            mount(app)
        return app

    async def start(self) -> None:
        revision = await upgrade(self.db)
        log.info("database %s at revision %s", self.db.safe_url(), revision)
        if self.teams is not None:
            await self.teams.start(self.dispatcher)  # registers /api/messages: before the server starts
        self._runner = web.AppRunner(self.web_app(), access_log=None, shutdown_timeout=10.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        self.http_port = self._runner.addresses[0][1]
        if self.identity is None:
            log.info(
                "serving Teams activities on http://%s:%s/api/messages", self.settings.host, self.http_port
            )
        else:
            await self._sign_in_to_slack()
        self.scheduler.start()
        self.services.background.spawn(report_setup_problems(self.services), "setup check")
        for run in self.router.startup:
            self.services.background.spawn(run(self.services), "startup")
        # Modules and the app live as long as the process: keep them out of the garbage collector's
        # full passes, which otherwise stall every request for 100-400 ms each time they run.
        gc.freeze()

    async def _sign_in_to_slack(self) -> None:
        assert self.identity is not None and self._runner is not None and self.bolt is not None
        await self.port.open()
        try:  # after the server is up: the local workspace serves the Web API from this same server
            identity = await self.identity.load()
        except BaseException:
            await self._runner.cleanup()
            raise
        log.info("signed in to Slack as %s in team %s", identity.bot_user_id, identity.team_id)
        if self.settings.socket_mode:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            app_token = self.settings.slack_app_token.get_secret_value()
            # The port's client carries SLACK_API_URL and the retry handlers; Bolt's default would not.
            self._socket = AsyncSocketModeHandler(self.bolt, app_token, web_client=self.port.client)
            await self._socket.connect_async()
            log.info("connected to Slack in Socket Mode")
        else:
            log.info(
                "serving Slack requests on http://%s:%s/slack/events", self.settings.host, self.http_port
            )

    async def stop(self) -> None:
        log.info("stopping: no new requests, finishing %d in-flight tasks", len(self.services.background))
        if self._socket is not None:
            await self._socket.close_async()
        if self.teams is not None:
            await self.teams.stop()
        # Running jobs finish first, while the server (and, locally, the Web API stand-in) still answers.
        await self.scheduler.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.services.background.drain()
        if self.teams is None:
            await self.port.close()
        await self.db.dispose()
        log.info("stopped")

    async def run_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
