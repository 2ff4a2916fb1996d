"""A message said once: claim what it means, then post, reply or DM under that key.

The one shape of every "tell them once" in the handlers: `storage.claims.once` wins the key, the
port sends with `key=` (so a post the platform stored before a dropped connection is not repeated)
and `look_first=` when the claim was retaken after a crash, and the message's ts is the claim's result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.chat.model import Message, MessageRef
from storage import claims

if TYPE_CHECKING:
    from bot.context import Services

# Sends under a key; the second argument: look for an earlier attempt's message first.
Send = Callable[[str, bool], Awaitable[MessageRef]]
After = Callable[[MessageRef], Awaitable[None]]


async def say(
    services: Services, key: str, kind: str, send: Send, *, then: After | None = None
) -> claims.Taken:
    """Run `send` once for `key` (and `then` with what it sent, e.g. to record its ts)."""

    async def work(taken: claims.Taken) -> str:
        sent = await send(taken.key, taken.retaken)
        if then is not None:
            await then(sent)
        return sent.ts

    return await claims.once(services.db, key, kind, services.clock, work)


async def post(
    services: Services, key: str, kind: str, channel: str, message: Message, *, then: After | None = None
) -> claims.Taken:
    """`message` in `channel`, once for `key`."""

    def send(k: str, look: bool) -> Awaitable[MessageRef]:
        return services.port.post(channel, message, key=k, look_first=look)

    return await say(services, key, kind, send, then=then)


async def reply(
    services: Services,
    key: str,
    kind: str,
    thread: MessageRef,
    message: Message,
    *,
    then: After | None = None,
) -> claims.Taken:
    """`message` under `thread`, once for `key`."""

    def send(k: str, look: bool) -> Awaitable[MessageRef]:
        return services.port.reply(thread, message, key=k, look_first=look)

    return await say(services, key, kind, send, then=then)


async def dm(services: Services, key: str, kind: str, user: str, message: Message) -> claims.Taken:
    """`message` to `user` in a DM, once for `key`."""

    def send(k: str, look: bool) -> Awaitable[MessageRef]:
        return services.port.dm(user, message, key=k, look_first=look)

    return await say(services, key, kind, send)
