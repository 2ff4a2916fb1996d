"""Who a cascade tracks and what they did: the members of each target channel (read when published
and every day; the ports leave bots out), their acknowledgement (the first click counts, a conditional
update on `acked_at IS NULL`), and a passed quiz."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update

from bot.chat.port import ChatError
from bot.context import Services
from handlers.policy.cascade_status import cascade_row
from storage.claims import insert_once
from storage.models import PolicyCascade, PolicyCascadeMember, PolicyCascadeTarget

log = logging.getLogger("tsqa.policy")

Acked = Literal["recorded", "already", "not_member", "unknown"]


async def sync(
    services: Services, cascade_id: int, channel_id: str, members: Iterable[str], *, full: bool
) -> int:
    """Record the channel's members: newcomers added; with `full` (a complete list), leavers marked and
    people who came back unmarked. Returns how many are members now."""
    now = services.clock()
    current = set(members)
    async with services.db.transaction() as session:
        for user_id in sorted(current):
            await insert_once(
                session, PolicyCascadeMember, ["cascade_id", "channel", "user_id"],
                cascade_id=cascade_id, channel=channel_id, user_id=user_id, joined_at=now,
            )  # fmt: skip
        if full:
            rows = (
                await session.scalars(
                    select(PolicyCascadeMember).where(
                        PolicyCascadeMember.cascade_id == cascade_id,
                        PolicyCascadeMember.channel == channel_id,
                    )
                )
            ).all()
            for row in rows:
                if row.user_id in current:
                    row.left_at = None
                elif row.left_at is None:
                    row.left_at = now
    return len(current)


async def channel_people(services: Services, channel_id: str) -> set[str]:
    """The channel's people as the workspace writes them (the port has left the bots out)."""
    ws = services.workspace
    return {ws.normal_user(u) for u in await services.port.channel_members(channel_id)}


async def refresh(services: Services) -> int:
    """The daily job: every open cascade's target channels read again; returns the channels read."""
    today = services.clock().astimezone(services.workspace.tz).date()
    async with services.db.transaction() as session:
        open_targets = (
            await session.execute(
                select(PolicyCascadeTarget.cascade_id, PolicyCascadeTarget.channel)
                .join(PolicyCascade, PolicyCascade.cascade_id == PolicyCascadeTarget.cascade_id)
                .where(PolicyCascade.ack_by >= today)
            )
        ).all()
    read = 0
    for cascade_id, channel_id in open_targets:
        try:
            await sync(
                services, cascade_id, channel_id, await channel_people(services, channel_id), full=True
            )
            read += 1
        except ChatError as exc:
            log.warning("could not refresh the members of %s: %s", channel_id, exc)
    return read


@dataclass(frozen=True)
class Acknowledged:
    outcome: Acked
    cascade: PolicyCascade | None = None
    passed: bool = False  # the cascade's quiz, when there is one


async def acknowledge(services: Services, cascade_id: int, user_id: str, where: str | None) -> Acknowledged:
    """The person's acknowledgement, recorded on the first click only. Someone who joined a target
    channel since the last membership read is looked up again there before being refused."""
    row = await cascade_row(services, cascade_id)
    if row is None:
        return Acknowledged("unknown")
    user_id = services.workspace.normal_user(user_id)
    outcome, passed = await _mark_acked(services, cascade_id, user_id)
    if outcome == "not_member" and where is not None and await _is_target(services, cascade_id, where):
        try:
            await sync(services, cascade_id, where, await channel_people(services, where), full=False)
        except ChatError:
            log.info("could not read the members of %s again", where)
        outcome, passed = await _mark_acked(services, cascade_id, user_id)
    return Acknowledged(outcome, row, passed)


async def _is_target(services: Services, cascade_id: int, channel_id: str) -> bool:
    async with services.db.transaction() as session:
        return await session.get(PolicyCascadeTarget, (cascade_id, channel_id)) is not None


async def _mark_acked(services: Services, cascade_id: int, user_id: str) -> tuple[Acked, bool]:
    member = (PolicyCascadeMember.cascade_id == cascade_id, PolicyCascadeMember.user_id == user_id)
    async with services.db.transaction() as session:
        marked = await session.execute(
            update(PolicyCascadeMember)
            .where(*member, PolicyCascadeMember.acked_at.is_(None))
            .values(acked_at=services.clock())
        )
        if marked.rowcount:
            return "recorded", False
        rows = (await session.scalars(select(PolicyCascadeMember).where(*member))).all()
    if not rows:
        return "not_member", False
    return "already", any(r.passed_at is not None for r in rows)


async def quiz_passed(services: Services, topic_id: str, user_id: str, when: datetime) -> None:
    """A passed quiz counts for every cascade with that quiz the person has acknowledged."""
    cascades = select(PolicyCascade.cascade_id).where(PolicyCascade.quiz_topic == topic_id)
    async with services.db.transaction() as session:
        await session.execute(
            update(PolicyCascadeMember)
            .where(
                PolicyCascadeMember.cascade_id.in_(cascades),
                PolicyCascadeMember.user_id == services.workspace.normal_user(user_id),
                PolicyCascadeMember.acked_at.is_not(None),
                PolicyCascadeMember.passed_at.is_(None),
            )
            .values(passed_at=when)
        )
