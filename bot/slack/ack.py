"""Acknowledging within Slack's 3 seconds: the first answer rides in the ack, a slow one follows.

A command's listener waits until the handler's first answer (which becomes the ack's body), the
handler's end, or the ack budget, whichever comes first. Budgets end in shared 50 ms slots: one
timer per slot instead of one per request keeps the event loop's timer heap small under load.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.chat.model import Message
from bot.slack import render

# Slack allows 3 s; leave room for the network, the ack itself and the slot.
ACK_BUDGET = 2.0
SLOT = 0.05


def settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def response(message: Message, ephemeral: bool) -> dict[str, Any]:
    return {
        "text": render.fallback_text(message),
        "blocks": render.message_truncated(message),
        "response_type": "ephemeral" if ephemeral else "in_channel",
    }


class AckDeadlines:
    """Settles waiters whose budget is spent, a slot at a time."""

    def __init__(self, budget: float = ACK_BUDGET, slot: float = SLOT):
        self.budget = budget
        self.slot = slot
        self._slots: dict[float, list[asyncio.Future[None]]] = {}

    def watch(self, waiter: asyncio.Future[None]) -> None:
        loop = asyncio.get_running_loop()
        due = math.ceil((loop.time() + self.budget) / self.slot) * self.slot
        waiters = self._slots.get(due)
        if waiters is None:
            waiters = self._slots[due] = []
            loop.call_at(due, self._expire, due)
        waiters.append(waiter)

    def _expire(self, due: float) -> None:
        for waiter in self._slots.pop(due, ()):
            settle(waiter)


class AckResponder:
    """Answers a command: the first answer in the ack if still possible, later ones by response_url.

    `answered` is settled by the first answer, so the listener can return the ack at once."""

    def __init__(self, ack: AsyncAck, respond: AsyncRespond, answered: asyncio.Future[None]):
        self._ack = ack
        self._respond = respond
        self.answered = answered
        self.acked = False

    async def __call__(self, message: Message, ephemeral: bool) -> None:
        payload = response(message, ephemeral)  # first: a message that cannot render leaves the ack free
        if not self.acked:
            self.acked = True  # before any await: a concurrent answer goes by response_url
            await self._ack(**payload)
            settle(self.answered)
            return
        await self._respond(**payload, replace_original=False)

    async def ensure_acked(self) -> None:
        if not self.acked:
            self.acked = True
            await self._ack()
