"""The real local workspace for browser tests, in a background thread with its own event loop.

A thread (not pytest's loop) keeps the server answering while Playwright's sync API drives the page
from the test; `restart()` stops it and starts it again on the same database and port.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from playwright.sync_api import Locator, Page, expect

from bot.app import TsqaBot
from bot.config import Settings
from bot.local.run import LocalRun
from bot.local.webapi import SlackWebAPI
from bot.routing import Router
from bot.workspace import load_workspace

T = TypeVar("T")


class LocalWorkspaceServer:
    """`tsqa run --local` in-process: the bot, the Slack stand-in and the page on one loopback port."""

    def __init__(
        self, database_url: str, workspace_file: Path, *, router_factory: Callable[[], Router] | None = None
    ):
        self.database_url = database_url
        self.workspace_file = workspace_file
        self.router_factory = router_factory
        self.port = 0
        self.local_run: LocalRun | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, as_: str, channel: str | None = None, thread: str | None = None) -> str:
        """The page acting as `as_` in `channel` (an ID, or "home" for the App Home)."""
        query = {"as": as_}
        if channel:
            query["c"] = channel
        if thread:
            query["t"] = thread
        return f"{self.base_url}/?{urlencode(query)}"

    @property
    def api(self) -> SlackWebAPI:
        assert self.local_run is not None, "start() first"
        return self.local_run.local.api

    @property
    def bot(self) -> TsqaBot:
        """The real bot, e.g. `server.run_async(lambda: job.run(server.bot.services))`."""
        assert self.local_run is not None, "start() first"
        return self.local_run.bot

    def start(self, timeout: float = 30.0) -> None:
        ready: Future[None] = Future()
        settings = Settings(
            database_url=self.database_url,
            tsqa_workspace=str(self.workspace_file),
            host="127.0.0.1",
            port=self.port,
            log_level="WARNING",
            _env_file=None,
        )
        workspace = load_workspace(self.workspace_file)
        router = self.router_factory() if self.router_factory else None

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self.local_run = LocalRun(settings, workspace, router=router, save_delay=0.05)
                loop.run_until_complete(self.local_run.start())
            except BaseException as exc:
                ready.set_exception(exc)
                loop.close()
                return
            self.port = self.local_run.settings.port
            ready.set_result(None)
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, name="local-workspace", daemon=True)
        self._thread.start()
        ready.result(timeout)

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `fn` on the server's loop (the state is only touched there) and return its result."""
        assert self._loop is not None

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def run_async(self, fn: Callable[[], Awaitable[T]], timeout: float = 30.0) -> T:
        """Await `fn()` on the server's loop (jobs, services) and return its result."""
        assert self._loop is not None

        async def run() -> T:
            return await fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        if self._loop is None or self.local_run is None:
            return
        asyncio.run_coroutine_threadsafe(self.local_run.stop(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(timeout)
        self._loop = None

    def restart(self) -> None:
        """Stop gracefully (the workspace is saved) and start again on the same database and port."""
        self.stop()
        self.start()


class WorkspacePage:
    """The page, driven as a person would: pick who you are, open a conversation, type, click."""

    def __init__(self, page: Page, server: LocalWorkspaceServer, shot: Callable[[str], Path]):
        self.page = page
        self.server = server
        self.shot = shot

    def open(self, as_: str, channel: str | None = "C0QAOPS01") -> None:
        self.page.goto(self.server.url(as_, channel))
        expect(self.page.locator("#acting-as")).to_have_value(as_)
        expect(self.page.locator(".sidebar .conv").first).to_be_visible()

    def act_as(self, user_id: str) -> None:
        self.page.select_option("#acting-as", user_id)
        expect(self.page.locator("#acting-as")).to_have_value(user_id)

    def conversation(self, name: str) -> None:
        """Open a channel by name (without #), or "tsqa" for the DM, or "home" for the App Home."""
        if name == "home":
            self.page.locator('.sidebar .conv[data-channel="home"]').click()
        else:
            exact = self.page.get_by_text(name, exact=True)
            self.page.locator(".sidebar .conv", has=self.page.locator(".conv-name").and_(exact)).first.click()
        expect(self.page.locator(".sidebar .conv.active .conv-name")).to_contain_text(
            "Home" if name == "home" else name
        )

    def send(self, text: str) -> None:
        box = self.page.locator("#composer textarea")
        box.fill(text)
        box.press("Enter")
        expect(box).to_have_value("")

    def reply(self, text: str) -> None:
        box = self.page.locator("#thread-composer textarea")
        box.fill(text)
        box.press("Enter")
        expect(box).to_have_value("")

    def messages(self) -> Locator:
        return self.page.locator("#messages .msg")

    def message(self, text: str) -> Locator:
        return self.messages().filter(has_text=text)

    def ephemeral(self) -> Locator:
        return self.page.locator("#messages .msg-ephemeral")

    def thread(self) -> Locator:
        return self.page.locator("#thread")

    def modal(self) -> Locator:
        return self.page.locator("#modal .modal-card")

    def home(self) -> Locator:
        return self.page.locator("#home")

    def visible(self, locator: Locator, timeout: float = 10_000) -> Any:
        expect(locator).to_be_visible(timeout=timeout)
        return locator
