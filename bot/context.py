"""What a handler gets: the shared services and, per request, who asked and how to answer them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.chat.model import Message
from bot.chat.port import ChatPort
from bot.config import Settings
from bot.roles import RoleResolver, UserRoles
from bot.routing import Timer
from bot.workspace import Workspace
from storage import claims
from storage.engine import Database

log = logging.getLogger("tsqa.background")

Responder = Callable[[Message, bool], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Background:
    """Work that continues after the ack; tracked so shutdown can wait for it to finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "work") -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work %s failed", task.get_name(), exc_info=task.exception())

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for the work in flight, including work it starts meanwhile (a post making its chart due)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                log.warning("%d background task(s) still running at stop", len(self._tasks))
                return
            await asyncio.wait(set(self._tasks), timeout=left)

    def __len__(self) -> int:
        return len(self._tasks)


@dataclass
class Services:
    """Long-lived dependencies shared by every request and job."""

    port: ChatPort
    db: Database
    workspace: Workspace
    roles: RoleResolver
    settings: Settings
    clock: Callable[[], datetime] = utc_now
    background: Background = field(default_factory=Background)
    # A local trial workspace: show today's scheduled posts at start instead of waiting for their time.
    local: bool = False
    # The durable timers' kinds (from the router), so work that makes one due can run it at once.
    timers: dict[str, Timer] = field(default_factory=dict)

    async def tell_admins(self, message: Message, key: str | None = None) -> int:
        """A DM to every admin (usergroups expanded): for what needs a person, not a channel. With a
        `key`, each admin gets it once across retries, restarts and replicas. One admin who cannot be
        reached (left the company, DMs closed) does not stop the others; returns how many were told."""
        told = 0
        for admin in sorted(await self.roles.members(self.workspace.admins)):
            try:
                if key is None:
                    await self.port.dm(admin, message)
                else:
                    notice = f"{key}:{admin}"

                    async def send(taken: claims.Taken, user: str = admin, notice: str = notice) -> str:
                        sent = await self.port.dm(user, message, key=notice, look_first=taken.retaken)
                        return sent.ts

                    await claims.once(self.db, notice, "notice", self.clock, send)
                told += 1
            except Exception:
                log.exception("could not tell admin %s", admin)
        return told


@dataclass
class Context:
    """One request: who asked, where, and how to answer them."""

    services: Services
    user: str | None = None
    channel: str | None = None
    responder: Responder | None = None
    _roles: UserRoles | None = None

    @property
    def port(self) -> ChatPort:
        return self.services.port

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def workspace(self) -> Workspace:
        return self.services.workspace

    def now(self) -> datetime:
        return self.services.clock()

    async def roles(self) -> UserRoles:
        if self._roles is None:
            if self.user is None:
                raise RuntimeError("no user in this context")
            self._roles = await self.services.roles.of(self.user)
        return self._roles

    async def respond(self, message: Message, *, ephemeral: bool = True) -> None:
        """Answer the person who asked: ephemeral by default, since most answers are for them alone."""
        if self.responder is not None:
            await self.responder(message, ephemeral)
        elif self.user is not None:
            await self.port.dm(self.user, message)

    def later(self, coro: Coroutine[Any, Any, Any], name: str = "work") -> None:
        """Run slow work after the ack; it reports back through respond, a thread reply or a DM."""
        self.services.background.spawn(coro, name)
