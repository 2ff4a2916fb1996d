"""The index the bot answers from: the sections of the versions in effect today, and the active
verified answers, in one BM25 index per process and database.

Building takes a while on a big library, so it runs in a worker thread (never on the event loop) and
is kept. A cheap stamp query (newest load, version count, newest verified answer, their count) tells
when the library or the answers changed; it runs at most every `STAMP_EVERY` seconds, so a question
costs no query most of the time. A new day rebuilds too: a version that was coming may now apply.
A change made by this process (an answer saved) calls `invalidate`, so it is seen at once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from bot.context import Services
from bot.workspace import Workspace
from bot.workspace_policy import PolicySettings
from handlers.policy import store
from handlers.policy.model import Passage, Policy
from handlers.policy.search import PolicyIndex
from storage.engine import Database
from storage.models import PolicyVerifiedAnswer, PolicyVersion

STAMP_EVERY = 5.0  # seconds between stamp queries; another replica's change shows within this


@dataclass(frozen=True)
class VerifiedAnswer:
    """A saved owner's answer as the views show it."""

    answer_id: int
    policy_id: str
    anchor: str
    question: str
    answer: str
    saved_by: str
    review_by: date


@dataclass
class AnswerIndex:
    """What one build holds: the search index and what the views need beside it."""

    index: PolicyIndex
    today: date
    policies: dict[str, Policy]  # in effect today, by id
    coming: dict[str, Policy]  # the next version to come, by id
    answers: dict[str, VerifiedAnswer] = field(default_factory=dict)  # by passage key


def policy_passages(policy: Policy) -> list[Passage]:
    """A version's sections as passages, keyed `policy:ID#anchor` as the evaluation set names them."""
    return [
        Passage(
            key=f"policy:{policy.id}#{s.anchor}",
            policy_id=policy.id,
            anchor=s.anchor,
            title=policy.title,
            heading=s.heading,
            text=s.text,
            version=policy.version,
            effective=policy.effective,
            link=policy.link,
        )
        for s in policy.sections
    ]


def answer_passage(answer: VerifiedAnswer, policy: Policy | None) -> Passage:
    """The question is the heading and leads the text, so that question and its variants find it."""
    return Passage(
        key=f"answer:{answer.answer_id}",
        policy_id=answer.policy_id,
        anchor=answer.anchor,
        title=policy.title if policy else answer.policy_id,
        heading=answer.question,
        text=f"{answer.question}\n\n{answer.answer}",
        version=policy.version if policy else "",
        effective=policy.effective if policy else None,
        link=policy.link if policy else None,
        verified=True,
    )


async def active_answers(db: Database) -> list[VerifiedAnswer]:
    async with db.transaction() as session:
        rows = await session.scalars(
            select(PolicyVerifiedAnswer)
            .where(PolicyVerifiedAnswer.active.is_(True))
            .order_by(PolicyVerifiedAnswer.answer_id)
        )
        return [
            VerifiedAnswer(r.answer_id, r.policy_id, r.anchor, r.question, r.answer, r.saved_by, r.review_by)
            for r in rows
        ]


async def _stamp(db: Database) -> tuple[Any, ...]:
    async with db.transaction() as session:
        library = (await session.execute(select(func.max(PolicyVersion.loaded_at), func.count()))).one()
        answers = (
            await session.execute(
                select(func.max(PolicyVerifiedAnswer.saved_at), func.count()).where(
                    PolicyVerifiedAnswer.active.is_(True)
                )
            )
        ).one()
    return (*library, *answers)


async def build(db: Database, today: date, glossary: dict[str, list[str]]) -> AnswerIndex:
    """Read the library and answers (on the loop: queries), index them in a worker thread."""
    policies = {p.id: p for p in await store.in_effect(db, today)}
    coming: dict[str, Policy] = {}
    for p in await store.upcoming(db, today):
        coming.setdefault(p.id, p)  # the soonest first
    answers = await active_answers(db)
    passages = [p for policy in policies.values() for p in policy_passages(policy)]
    passages += [answer_passage(a, policies.get(a.policy_id)) for a in answers]
    index = await asyncio.to_thread(PolicyIndex.build, passages, glossary)
    by_key = {f"answer:{a.answer_id}": a for a in answers}
    return AnswerIndex(index, today, policies, coming, by_key)


@dataclass
class _Cached:
    built: AnswerIndex
    stamp: tuple[Any, ...]
    glossary: dict[str, list[str]]
    checked: float  # time.monotonic() of the last stamp query


_cache: dict[Any, _Cached] = {}
_locks: dict[Any, asyncio.Lock] = {}


def invalidate(db: Database) -> None:
    """This process changed the answers or the library: the next question rebuilds."""
    _cache.pop(db.url, None)


async def current(db: Database, today: date, glossary: dict[str, list[str]]) -> AnswerIndex:
    """The index for `today`, rebuilt when the day, the glossary, the library or the answers changed."""
    key = db.url
    cached = _cache.get(key)
    if cached and cached.built.today == today and cached.glossary == glossary:
        if time.monotonic() - cached.checked < STAMP_EVERY:
            return cached.built
        stamp = await _stamp(db)
        if stamp == cached.stamp:
            cached.checked = time.monotonic()
            return cached.built
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:  # one build at a time; those waiting take its result
        again = _cache.get(key)
        if (
            again is not None
            and again is not cached
            and (again.built.today, again.glossary)
            == (
                today,
                glossary,
            )
        ):
            return again.built
        stamp = await _stamp(db)
        built = await build(db, today, glossary)
        _cache[key] = _Cached(built, stamp, glossary, time.monotonic())
        return built


def settings(workspace: Workspace) -> PolicySettings:
    return workspace.policy or PolicySettings()


def today(services: Services) -> date:
    """The day in the workspace's timezone: a version applies from its effective day there."""
    return services.clock().astimezone(services.workspace.tz).date()


async def current_index(services: Services) -> AnswerIndex:
    """The index the bot answers from today, with the workspace's glossary."""
    return await current(services.db, today(services), settings(services.workspace).glossary)
