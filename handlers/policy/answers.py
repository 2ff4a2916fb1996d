"""Policy answers, the domain side: searching the index, keeping every question, feedback once per
person, questions sent to owners (once per meaning), each of their answers, and saving one as the
question's verified answer (a later one replaces it).

No chat here: answer_routes says things, answer_views shapes them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.policy.index import AnswerIndex
from handlers.policy.model import Hit
from handlers.policy.search import CONFIDENCE_THRESHOLD, STOP_WORDS, PolicyIndex, words
from storage.claims import insert_once, schedule_in
from storage.engine import Database
from storage.models import PolicyFeedback, PolicyOwnerAsk, PolicyQuestion, PolicyVerifiedAnswer
from storage.models.policy_answers import PolicyOwnerAnswer

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


def meaning(text: str, policy_id: str | None) -> str:
    """What an ask to the owners means: the question (lower-case, punctuation and extra spaces gone)
    about one policy. "Is it OK?" and "is it ok" are one ask; hashed to fit a key."""
    normal = " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
    return hashlib.sha256(f"{policy_id or ''}\n{normal}".encode()).hexdigest()


async def attach_to_ask(
    db: Database, question: PolicyQuestion, policy_id: str | None, channel: str, user: str, now: datetime
) -> PolicyOwnerAsk:
    """The ask for this question's meaning (made now if it is the first), with the question attached;
    if the owners already answered it, telling this asker is scheduled in the same transaction.

    The ask's row is locked (PostgreSQL) here and in `record_owner_answer`, so an asker attaching
    while an owner's answer is being stored is either among that answer's askers or sees the answer:
    never neither."""
    key = meaning(question.text, policy_id)
    async with db.transaction() as session:
        await insert_once(
            session, PolicyOwnerAsk, ["meaning"],
            question_id=question.question_id, meaning=key, policy_id=policy_id, channel=channel, ts=None,
            asked_by=user, asked_at=now,
        )  # fmt: skip
        ask = await session.scalar(
            select(PolicyOwnerAsk).where(PolicyOwnerAsk.meaning == key).with_for_update()
        )
        assert ask is not None
        await session.execute(
            update(PolicyQuestion)
            .where(PolicyQuestion.question_id == question.question_id)
            .values(owner_ask_id=ask.question_id)
        )
        answered = await session.scalar(
            select(PolicyOwnerAnswer.answer_id)
            .where(PolicyOwnerAnswer.question_id == ask.question_id)
            .order_by(PolicyOwnerAnswer.answer_id.desc())
            .limit(1)
        )
        if answered is not None:  # asked again after the owners answered: this asker gets it too
            await schedule_tell(session, answered, user, now)
        return ask


async def record_ask_post(db: Database, ask_id: int, channel: str, ts: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(PolicyOwnerAsk).where(PolicyOwnerAsk.question_id == ask_id).values(channel=channel, ts=ts)
        )


async def owner_ask(db: Database, ask_id: int) -> PolicyOwnerAsk | None:
    async with db.transaction() as session:
        return await session.get(PolicyOwnerAsk, ask_id)


async def askers(session: AsyncSession, ask_id: int) -> list[str]:
    """Everyone who asked the ask's question, each once."""
    rows = await session.scalars(
        select(PolicyQuestion.user).where(PolicyQuestion.owner_ask_id == ask_id).distinct()
    )
    return sorted(rows)


async def latest_answer(db: Database, ask_id: int) -> PolicyOwnerAnswer | None:
    async with db.transaction() as session:
        return await session.scalar(
            select(PolicyOwnerAnswer)
            .where(PolicyOwnerAnswer.question_id == ask_id)
            .order_by(PolicyOwnerAnswer.answer_id.desc())
            .limit(1)
        )


async def answered_before(db: Database, given: PolicyOwnerAnswer) -> bool:
    """Whether an earlier answer to the same ask exists: then this one is a correction."""
    async with db.transaction() as session:
        earlier = await session.scalar(
            select(func.count()).where(
                PolicyOwnerAnswer.question_id == given.question_id,
                PolicyOwnerAnswer.answer_id < given.answer_id,
            )
        )
        return bool(earlier)


async def owner_answer(db: Database, answer_id: int) -> PolicyOwnerAnswer | None:
    async with db.transaction() as session:
        return await session.get(PolicyOwnerAnswer, answer_id)


# Durable timers scheduled with the state they tell about (bot/timers runs them; owners.py says it).
POST_ANSWER = "policy.owner-answer"  # the owner's answer in the owners' thread
TELL_ASKER = "policy.tell-asker"  # the owner's answer to one asker, by DM
POST_SAVED = "policy.saved"  # "Saved as a verified answer" in the owners' thread


async def schedule_tell(session: AsyncSession, answer_id: int, user: str, now: datetime) -> None:
    payload = {"answer": answer_id, "user": user}
    await schedule_in(session, f"policy-tell:{answer_id}:{user}", TELL_ASKER, now, now, payload)


async def record_owner_answer(
    db: Database,
    ask_id: int,
    *,
    answer: str,
    policy_id: str,
    anchor: str,
    review_by: date,
    owner: str,
    now: datetime,
) -> int:
    """The owner's answer as its own row (the same submission twice is one row); in the same
    transaction its post in the owners' thread and a DM to each asker as durable timers (idempotent
    keys), so a restart loses neither and a second submit repeats neither. Returns the answer's id."""
    submitted = f"{ask_id}\n{owner}\n{policy_id}#{anchor}\n{review_by}\n{' '.join(answer.split())}"
    key = hashlib.sha256(submitted.encode()).hexdigest()
    async with db.transaction() as session:
        # Locked first: an asker attaching now waits, then sees this answer (see `attach_to_ask`).
        await session.scalar(
            select(PolicyOwnerAsk.question_id).where(PolicyOwnerAsk.question_id == ask_id).with_for_update()
        )
        await insert_once(
            session, PolicyOwnerAnswer, ["meaning"],
            question_id=ask_id, meaning=key, answer=answer, policy_id=policy_id, anchor=anchor,
            review_by=review_by, answered_by=owner, answered_at=now,
        )  # fmt: skip
        row = await session.scalar(select(PolicyOwnerAnswer).where(PolicyOwnerAnswer.meaning == key))
        assert row is not None
        await session.execute(
            update(PolicyQuestion)
            .where(PolicyQuestion.owner_ask_id == ask_id)
            .values(answered_by_owner=owner)
        )
        payload = {"answer": row.answer_id}
        await schedule_in(session, f"policy-owner-answer:{row.answer_id}", POST_ANSWER, now, now, payload)
        for user in await askers(session, ask_id):
            await schedule_tell(session, row.answer_id, user, now)
        return row.answer_id


async def record_answer_post(db: Database, answer_id: int, ts: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(PolicyOwnerAnswer).where(PolicyOwnerAnswer.answer_id == answer_id).values(reply_ts=ts)
        )


Saved = Literal["saved", "replaced", "already", "older", "missing"]


async def save_verified(db: Database, answer_id: int, saved_by: str, now: datetime) -> Saved:
    """That owner's answer as its question's verified answer: the first save, or a later answer (a
    correction) replacing the earlier text and review-by. With it, the "Saved" post as a timer."""
    async with db.transaction() as session:
        given = await session.get(PolicyOwnerAnswer, answer_id)
        ask = given and await session.get(PolicyOwnerAsk, given.question_id)
        q = ask and await session.get(PolicyQuestion, ask.question_id)
        if given is None or ask is None or q is None:
            return "missing"
        values = dict(
            policy_id=given.policy_id, anchor=given.anchor, answer=given.answer, saved_by=saved_by,
            saved_at=now, review_by=given.review_by, source_channel=ask.channel, source_ts=given.reply_ts,
            owner_answer_id=answer_id, active=True,
        )  # fmt: skip
        if await insert_once(
            session,
            PolicyVerifiedAnswer,
            ["question_id"],
            question_id=ask.question_id,
            question=q.text,
            **values,
        ):
            outcome: Saved = "saved"
        else:
            replaced = await session.execute(
                update(PolicyVerifiedAnswer)
                .where(
                    PolicyVerifiedAnswer.question_id == ask.question_id,
                    PolicyVerifiedAnswer.owner_answer_id < answer_id,
                )
                .values(**values)
            )
            if replaced.rowcount != 1:
                current = await session.scalar(
                    select(PolicyVerifiedAnswer.owner_answer_id).where(
                        PolicyVerifiedAnswer.question_id == ask.question_id
                    )
                )
                return "already" if current == answer_id else "older"
            outcome = "replaced"
        payload = {"answer": answer_id, "by": saved_by}
        await schedule_in(session, f"policy-saved:{answer_id}", POST_SAVED, now, now, payload)
        return outcome


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
