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


async def post_recorded(
    services: Services, key: str, kind: str, channel: str, message: Message, record: After
) -> MessageRef | None:
    """`message` in `channel` once for `key`, with `record` storing where it went (a row's ts): the
    post made now or earlier, or None while another worker holds the key (it crashed mid-post, say,
    and its lease has not run out)."""
    made: list[MessageRef] = []

    async def recorded(sent: MessageRef) -> None:
        made.append(sent)
        await record(sent)

    taken = await post(services, key, kind, channel, message, then=recorded)
    if made:
        return made[0]
    if taken.done and taken.result:
        return MessageRef(channel, taken.result)
    return None


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
