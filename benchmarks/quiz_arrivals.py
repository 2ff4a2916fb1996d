"""When the Slack fake received each of the bot's messages, so a benchmark can wait for the one a
labeler waits for and time it."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from bot.local.state import Call
from bot.local.webapi import SlackWebAPI

WAIT_SECONDS = 15.0  # a server answer not seen by then counts as lost


class Arrivals:
    """When the fake received each chat.update (by message) and chat.postMessage (by DM), in order."""

    def __init__(self, fake: SlackWebAPI):
        self.fake = fake
        self.seen: dict[tuple[str, ...], list[tuple[float, Call]]] = defaultdict(list)
        self.waiting: dict[tuple[tuple[str, ...], int], asyncio.Future[tuple[float, Call]]] = {}
        self.responses: list[Call] = []
        fake.listeners.append(self.changed)

    def changed(self) -> None:
        # Called inside the fake's handler right after it did the work: the last call is this one.
        call, now = self.fake.calls[-1], time.perf_counter()
        if call.method == "response_url":
            self.responses.append(call)
            return
        if call.method == "chat.update":
            key = ("update", str(call.args.get("channel")), str(call.args.get("ts")))
        elif call.method == "chat.postMessage":
            key = ("post", str(call.args.get("channel")))
        else:
            return
        entries = self.seen[key]
        entries.append((now, call))
        future = self.waiting.pop((key, len(entries) - 1), None)
        if future is not None and not future.done():
            future.set_result((now, call))

    async def wait(self, key: tuple[str, ...], index: int) -> tuple[float, Call] | None:
        """The index-th arrival under `key` (when it reached the fake, the call), or None if it never came."""
        if len(self.seen[key]) > index:
            return self.seen[key][index]
        future = asyncio.get_running_loop().create_future()
        self.waiting[(key, index)] = future
        try:
            return await asyncio.wait_for(future, WAIT_SECONDS)
        except TimeoutError:
            self.waiting.pop((key, index), None)
            return None
