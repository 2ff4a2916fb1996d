"""A participant's ballot: one DM message showing one item at a time, updated in place after each vote
to the next unrated item, and at the end to "all rated, change any until the reveal"."""

from __future__ import annotations

import logging

from bot import once
from bot.chat.model import Message, MessageRef
from bot.chat.port import ChatError
from bot.context import Services
from handlers.calibration import store
from handlers.calibration import views as v
from storage.models import CalibrationItem, CalibrationSession

log = logging.getLogger("tsqa.calibration")


def next_unrated(items: list[CalibrationItem], rated: set[int], after: int) -> int | None:
    """The first unrated item after `after`, else the first unrated at all, else None (all rated)."""
    positions = [i.position for i in items if i.position not in rated]
    return next((p for p in positions if p > after), positions[0] if positions else None)


async def message_for(
    services: Services, row: CalibrationSession, user: str, position: int | None = None, after: int = 0
) -> Message:
    """The ballot showing `position`, or the next unrated item after `after`, or the finished view."""
    if row.status != store.OPEN:
        return v.revealed_ballot(row)
    items = await store.items(services.db, row.session_id)
    mine = {vote.position: vote.label for vote in await store.votes(services.db, row.session_id, user)}
    tz = services.workspace.tz
    if position is None:
        position = next_unrated(items, set(mine), after)
        if position is None:
            return v.done_message(row, items, mine, tz)
    return v.ballot_message(row, items, mine, position, tz)


async def show(
    services: Services,
    row: CalibrationSession,
    user: str,
    where: MessageRef | None,
    position: int | None = None,
    after: int = 0,
) -> None:
    """The ballot updated in place; where its message is gone, a new one in the DM (recorded)."""
    message = await message_for(services, row, user, position, after)
    if where is not None:
        try:
            await services.port.update(where, message)
            return
        except ChatError as exc:
            log.info("could not update the ballot of %s: %s", user, exc)
    sent = await services.port.dm(user, message)
    await store.record_ballot(services.db, row.session_id, user, sent.channel, sent.ts)


async def invite(services: Services, row: CalibrationSession, user: str) -> None:
    """The first ballot, once per participant (a retried timer never invites twice)."""
    message = await message_for(services, row, user)

    async def recorded(sent: MessageRef) -> None:
        await store.record_ballot(services.db, row.session_id, user, sent.channel, sent.ts)

    def send(key: str, look: bool):  # noqa: ANN202 - once.Send
        return services.port.dm(user, message, key=key, look_first=look)

    await once.say(services, f"calibrate-invite:{row.session_id}:{user}", "calibration", send, then=recorded)
