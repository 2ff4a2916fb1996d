"""`tsqa run --local`: the whole bot with a local Slack stand-in and a browser page, on one port.

The bot is the real one, in HTTP mode: it signs in with a local token and receives signed requests,
exactly as it would from Slack; only SLACK_API_URL points back at this same server.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import socket
from collections.abc import Callable

from pydantic import SecretStr

from bot.app import TsqaBot
from bot.config import Settings, is_loopback
from bot.local.interact import MenuShortcut
from bot.local.server import LocalWorkspace
from bot.routing import Router
from bot.workspace import Workspace
from storage.migrate import upgrade

log = logging.getLogger("tsqa.local")

LOCAL_HOST = "127.0.0.1"


class PublicHostError(ValueError):
    """The local workspace has no login: it listens on loopback only, whatever HOST says."""


def local_host(settings: Settings) -> str:
    """HOST when it was given and is loopback, else 127.0.0.1; a public HOST is refused, never widened."""
    if not settings.given("host"):
        return LOCAL_HOST
    if not is_loopback(settings.host):
        raise PublicHostError(
            f"HOST={settings.host} is not a loopback address. The local workspace has no login (whoever "
            "reaches it acts as anyone, admins included), so it only listens on 127.0.0.1, ::1 or "
            "localhost: unset HOST or set HOST=127.0.0.1."
        )
    return settings.host


def _free_port(host: str) -> int:
    """A port to listen on, chosen up front: the bot's Web API URL must name it before the server starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class LocalRun:
    """One bot plus its local workspace; `start()`/`stop()` for tests, `run_local` for the command."""

    def __init__(
        self,
        settings: Settings,
        workspace: Workspace,
        *,
        router: Router | None = None,
        save_delay: float = 0.5,
    ) -> None:
        """`router` adds capabilities to the real ones (tests use it for a scripted one)."""
        host = local_host(settings)
        port = settings.port or _free_port(host)
        self.url = f"http://{_url_host(host)}:{port}"
        secret = secrets.token_hex(32)
        token = "xoxb-local-" + secrets.token_hex(16)
        self.settings = settings.model_copy(
            update={
                "slack_bot_token": SecretStr(token),
                "slack_signing_secret": SecretStr(secret),
                "slack_app_token": None,
                "slack_api_url": f"{self.url}/api/",
                "host": host,
                "port": port,
            }
        )
        self.bot = TsqaBot(self.settings, workspace, router=router)
        self.local = LocalWorkspace(
            workspace,
            self.bot.db,
            bot_token=token,
            signing_secret=secret,
            base_url=self.url,
            commands=self.bot.router.commands,
            shortcuts=[
                MenuShortcut(s.name, s.label, s.description) for s in self.bot.router.shortcuts.values()
            ],
            save_delay=save_delay,
        )
        self.bot.mounts.append(self.local.mount)

    async def start(self) -> None:
        self.bot.services.local = True
        await upgrade(self.bot.db)
        for seed in self.bot.router.local_seeds:  # before start: the catch-up then finds the data
            await seed(self.bot.services)
        await self.bot.start()
        log.info("local workspace ready: open %s in a browser", self.url)

    async def stop(self) -> None:
        # The Web API lives in the bot's own server here: let work in flight finish while it still answers.
        await self.bot.services.background.drain(timeout=10.0)
        await self.bot.stop()


async def run_local(
    settings: Settings,
    workspace: Workspace,
    *,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (or `stop` is set), then stop gracefully and save the workspace."""
    run = LocalRun(settings, workspace)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    await run.start()
    if on_ready is not None:
        on_ready(run.url)
    try:
        await stop.wait()
    finally:
        await run.stop()
