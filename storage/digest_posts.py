"""Digest posts claimed per (channel, day) before sending, so one is posted exactly once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select, update

from storage.claims import insert_once
from storage.engine import Database
from storage.models.digest import DigestPost


async def claim_post(db: Database, channel: str, day: date, scope: str, now: datetime) -> bool:
    async with db.transaction() as session:
        return await insert_once(
            session, DigestPost, ["channel", "day"], channel=channel, day=day, scope=scope, claimed_at=now
        )


async def record_ts(db: Database, channel: str, day: date, ts: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(DigestPost).where(DigestPost.channel == channel, DigestPost.day == day).values(ts=ts)
        )


async def release_post(db: Database, channel: str, day: date) -> None:
    """Sending failed before anything reached the channel: let the next attempt post it."""
    async with db.transaction() as session:
        await session.execute(delete(DigestPost).where(DigestPost.channel == channel, DigestPost.day == day))


async def posted(db: Database, channel: str, day: date) -> DigestPost | None:
    async with db.transaction() as session:
        return await session.scalar(
            select(DigestPost).where(DigestPost.channel == channel, DigestPost.day == day)
        )
