"""Policy answers, the domain side: searching the index, keeping every question, feedback once per
person, questions sent to owners, their answers, and saving one as a verified answer once.

No chat here: answer_routes says things, answer_views shapes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update

from handlers.policy.index import AnswerIndex
from handlers.policy.model import Hit
from handlers.policy.search import CONFIDENCE_THRESHOLD, STOP_WORDS, PolicyIndex, words
from storage.claims import insert_once
from storage.engine import Database
from storage.models import PolicyFeedback, PolicyOwnerAsk, PolicyQuestion, PolicyVerifiedAnswer

REVIEW_AFTER = timedelta(days=90)
MAX_HITS = 3


@dataclass(frozen=True)
class Asked:
    """A stored question and what search found for it."""

    question_id: int
    text: str
    hits: tuple[Hit, ...]
    confident: bool


def threshold(configured: float) -> float:
    """The workspace's confidence when set (> 0), else search's own default."""
    return configured if configured > 0 else CONFIDENCE_THRESHOLD


# Words of conversation, not of policy: "hello, what can you do?" is for the overview, not the library.
_CHAT_WORDS = frozenset(
    str.split(
        "hello hi hey hiya morning afternoon evening good thanks thank you please what can do how are "
        "who is this bot tsqa help me about cheers ok okay there the a an your yourself"
    )
)


def small_talk(text: str) -> bool:
    """A greeting or a question about the bot itself: conversational words only, and few of them."""
    words = re.findall(r"[a-z']+", text.lower())
    return bool(words) and len(words) <= 10 and all(word in _CHAT_WORDS for word in words)


def content_words(text: str) -> int:
    """Words that can carry a question's meaning (not stop words): "a note to myself" has one."""
    return sum(1 for _start, _end, word in words(text) if word.lower() not in STOP_WORDS)


def search(built: AnswerIndex, text: str) -> tuple[Hit, ...]:
    return tuple(built.index.search(text, MAX_HITS))


async def ask(
    db: Database,
    hits: tuple[Hit, ...],
    *,
    text: str,
    user: str,
    channel: str,
    via: str,
    now: datetime,
    confidence: float = 0.0,
) -> Asked:
    """Store the question with what search found, whatever the outcome: unanswered ones are gaps."""
    confident = PolicyIndex.confident(hits, threshold(confidence))
    top = hits[0].passage if hits else None
    async with db.transaction() as session:
        row = PolicyQuestion(
            user=user,
            channel=channel,
            text=text[:4000],
            asked_at=now,
            via=via,
            confident=confident,
            top_key=top.key[:255] if top else None,
            top_policy_id=top.policy_id if top else None,
        )
        session.add(row)
        await session.flush()
        question_id = row.question_id
    return Asked(question_id, text, hits, confident)


async def question(db: Database, question_id: int) -> PolicyQuestion | None:
    async with db.transaction() as session:
        return await session.get(PolicyQuestion, question_id)


async def feedback(db: Database, question_id: int, user: str, helpful: bool, now: datetime) -> bool:
    """True when this is the person's first verdict on that answer; a second click changes nothing."""
    async with db.transaction() as session:
        return await insert_once(
            session, PolicyFeedback, ["question_id", "user"],
            question_id=question_id, user=user, helpful=helpful, at=now,
        )  # fmt: skip


async def record_owner_ask(
    db: Database, question_id: int, policy_id: str | None, channel: str, ts: str, user: str, now: datetime
) -> None:
    async with db.transaction() as session:
        await insert_once(
            session, PolicyOwnerAsk, ["question_id"],
            question_id=question_id, policy_id=policy_id, channel=channel, ts=ts, asked_by=user,
            asked_at=now,
        )  # fmt: skip


async def owner_ask(db: Database, question_id: int) -> PolicyOwnerAsk | None:
    async with db.transaction() as session:
        return await session.get(PolicyOwnerAsk, question_id)


async def record_owner_answer(
    db: Database,
    question_id: int,
    *,
    answer: str,
    policy_id: str,
    anchor: str,
    review_by: date,
    owner: str,
    now: datetime,
) -> None:
    """The owner's answer (the latest one given counts), and who answered the question."""
    async with db.transaction() as session:
        await session.execute(
            update(PolicyOwnerAsk)
            .where(PolicyOwnerAsk.question_id == question_id)
            .values(
                answer=answer, policy_id=policy_id, anchor=anchor, review_by=review_by,
                answered_by=owner, answered_at=now,
            )
        )  # fmt: skip
        await session.execute(
            update(PolicyQuestion)
            .where(PolicyQuestion.question_id == question_id)
            .values(answered_by_owner=owner)
        )


async def record_answer_post(db: Database, question_id: int, ts: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(PolicyOwnerAsk).where(PolicyOwnerAsk.question_id == question_id).values(answer_ts=ts)
        )


async def save_verified(db: Database, question_id: int, saved_by: str, now: datetime) -> int | None:
    """The owner's answer to `question_id` as a verified answer, once: None when it was already saved
    or there is no answer yet."""
    async with db.transaction() as session:
        asked = await session.get(PolicyOwnerAsk, question_id)
        q = await session.get(PolicyQuestion, question_id)
        if asked is None or q is None or not asked.answer or not asked.policy_id or not asked.anchor:
            return None
        inserted = await insert_once(
            session, PolicyVerifiedAnswer, ["question_id"],
            question_id=question_id, policy_id=asked.policy_id, anchor=asked.anchor, question=q.text,
            answer=asked.answer, saved_by=saved_by, saved_at=now,
            review_by=asked.review_by or (now.date() + REVIEW_AFTER), source_channel=asked.channel,
            source_ts=asked.answer_ts, active=True,
        )  # fmt: skip
        if not inserted:
            return None
        return await session.scalar(
            select(PolicyVerifiedAnswer.answer_id).where(PolicyVerifiedAnswer.question_id == question_id)
        )


async def due_for_review(db: Database, today: date) -> list[PolicyVerifiedAnswer]:
    """Active verified answers whose review-by day has come."""
    async with db.transaction() as session:
        rows = await session.scalars(
            select(PolicyVerifiedAnswer)
            .where(PolicyVerifiedAnswer.active.is_(True), PolicyVerifiedAnswer.review_by <= today)
            .order_by(PolicyVerifiedAnswer.answer_id)
        )
        return list(rows)


@dataclass(frozen=True)
class Gap:
    """A question the bot could not answer well: how often asked that week, and why."""

    text: str
    times: int
    reason: str  # "unanswered" or "not helpful"
    policy_id: str | None


async def gaps(db: Database, since: datetime, until: datetime, limit: int = 10) -> list[Gap]:
    """The week's questions without a confident answer and those marked not helpful, most asked first
    (the same wording, case and spacing aside, counts as one question)."""
    async with db.transaction() as session:
        unanswered = list(
            await session.execute(
                select(PolicyQuestion.text, PolicyQuestion.top_policy_id).where(
                    PolicyQuestion.asked_at >= since,
                    PolicyQuestion.asked_at < until,
                    PolicyQuestion.confident.is_(False),
                )
            )
        )
        unhelpful = list(
            await session.execute(
                select(PolicyQuestion.text, PolicyQuestion.top_policy_id)
                .join(PolicyFeedback, PolicyFeedback.question_id == PolicyQuestion.question_id)
                .where(
                    PolicyFeedback.at >= since, PolicyFeedback.at < until, PolicyFeedback.helpful.is_(False)
                )
            )
        )
    counted: dict[tuple[str, str], Gap] = {}
    for reason, rows in (("unanswered", unanswered), ("not helpful", unhelpful)):
        for text, policy_id in rows:
            key = (" ".join(text.lower().split()), reason)
            seen = counted.get(key)
            counted[key] = Gap(text, (seen.times if seen else 0) + 1, reason, policy_id)
    return sorted(counted.values(), key=lambda g: (-g.times, g.text.lower()))[:limit]


async def count_questions(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(PolicyQuestion)) or 0)
