"""Taking a quiz: an attempt asks its questions in a fixed, shuffled order and records each answer once.

All state is in the database. An answer is recorded in one transaction with the claim
`quiz-answer:{attempt}:{position}` and the move to the next position, so a double click, a retry, a
second replica or a click on an earlier question's button can neither record twice nor move on twice.
A time limit is checked here, on the server, whatever the client shows.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import bindparam, insert, select, update

from handlers.quiz import review, store
from handlers.quiz.bank import Answer, Question, Score, Topic, score
from storage.claims import claim_in
from storage.engine import Database, Executor
from storage.models import QuizAnswer, QuizAttempt, QuizTopic

SHUFFLED = ("single", "multiple")


@dataclass(frozen=True)
class Step:
    """The question at `position` (0-based) of `total`, its options in this attempt's order."""

    attempt_id: str
    topic: Topic
    position: int
    total: int
    question: Question
    order: tuple[int, ...]  # displayed option i is the question's option order[i]
    deadline: datetime | None


@dataclass(frozen=True)
class Result:
    credit: float
    passed: bool
    right: int
    total: int
    missed: tuple[Question, ...]  # to revisit: their policy sections


Outcome = Literal["recorded", "already_answered", "not_yet", "finished", "time_up", "not_yours", "unknown"]


@dataclass(frozen=True)
class Answered:
    outcome: Outcome
    question: Question | None = None
    score: Score | None = None
    next_step: Step | None = None
    result: Result | None = None
    position: int = 0
    total: int = 0
    topic: Topic | None = None
    kind: str = "quiz"
    attempt_id: str = ""


@dataclass
class Plan:
    items: list[dict] = field(default_factory=list)  # {"version": id, "order": [...]}

    @classmethod
    def load(cls, text: str) -> Plan:
        return cls(json.loads(text))

    def dump(self) -> str:
        return json.dumps(self.items, separators=(",", ":"))


class QuizError(Exception):
    """The quiz cannot start: the message says why (unknown topic, no questions)."""


async def open_attempt(
    db: Database, user: str, topic_id: str | None = None, kind: str | None = None
) -> QuizAttempt | None:
    """The person's unfinished attempt (of that topic and kind, if given), newest first."""
    async with db.transaction() as session:
        query = select(QuizAttempt).where(QuizAttempt.user_id == user, QuizAttempt.finished_at.is_(None))
        if topic_id:
            query = query.where(QuizAttempt.topic_id == topic_id)
        if kind:
            query = query.where(QuizAttempt.kind == kind)
        return (
            (await session.execute(query.order_by(QuizAttempt.started_at.desc()).limit(1))).scalars().first()
        )


async def start(
    db: Database,
    user: str,
    topic_id: str,
    now: datetime,
    *,
    count: int | None = None,
    channel: str | None = None,
    rng: random.Random | None = None,
) -> Step:
    """A new attempt, or the unfinished one of the same topic (a second `/quiz TOPIC` resumes)."""
    if (existing := await open_attempt(db, user, topic_id, kind="quiz")) is not None:
        step = await current(db, existing.attempt_id, now)
        if step is not None:
            return step
    rng = rng or random.Random()
    async with db.transaction() as session:
        row = await session.get(QuizTopic, topic_id)
        if row is None:
            raise QuizError(f"I know no quiz {topic_id!r}")
        questions = await store.active_questions(session, topic_id)
        if not questions:
            raise QuizError(f"the quiz {topic_id!r} has no questions yet")
        chosen = list(questions)
        rng.shuffle(chosen)
        if count:
            chosen = chosen[: max(1, count)]
        plan = Plan([{"version": version, "order": _order(question, rng)} for version, question in chosen])
        deadline = now + timedelta(seconds=row.time_limit_seconds) if row.time_limit_seconds else None
        attempt = QuizAttempt(
            attempt_id=uuid.uuid4().hex,
            topic_id=topic_id,
            user_id=user,
            kind="quiz",
            plan=plan.dump(),
            position=0,
            started_at=now,
            deadline=deadline,
            channel=channel,
        )
        session.add(attempt)
    step = await current(db, attempt.attempt_id, now)
    assert step is not None
    return step


def _order(question: Question, rng: random.Random) -> list[int]:
    order = list(range(len(question.choices)))
    if question.type in SHUFFLED:
        rng.shuffle(order)
    return order


async def current(db: Database, attempt_id: str, now: datetime) -> Step | None:
    """The question to ask now, or None when the attempt is finished (or unknown)."""
    async with db.connection() as conn:
        attempt = await _attempt(conn, attempt_id)
        if attempt is None or attempt.finished_at is not None:
            return None
        return await _step(conn, attempt, attempt.position)


# The statements of every answer, built once (building one costs more than running it).
_ATTEMPTS = QuizAttempt.__table__
_READ_ATTEMPT = select(_ATTEMPTS).where(_ATTEMPTS.c.attempt_id == bindparam("attempt"))
_MOVE_ON = (
    update(_ATTEMPTS).where(_ATTEMPTS.c.attempt_id == bindparam("attempt")).values(position=bindparam("next"))
)
_INSERT_ANSWER = insert(QuizAnswer.__table__)


async def _attempt(conn: Executor, attempt_id: str) -> Any:
    """The attempt's columns as attributes. Not locked: what an answer changes is guarded by claims."""
    return (await conn.execute(_READ_ATTEMPT, {"attempt": attempt_id})).first()


async def _step(conn: Executor, attempt: Any, position: int) -> Step | None:
    plan = Plan.load(attempt.plan)
    if position >= len(plan.items):
        return None
    item = plan.items[position]
    question = (await store.versions(conn, [item["version"]]))[item["version"]]
    topic = await store.topic(conn, attempt.topic_id)
    assert topic is not None
    return Step(
        attempt.attempt_id,
        topic,
        position,
        len(plan.items),
        question,
        tuple(item["order"]),
        attempt.deadline,
    )


async def answer(
    db: Database, attempt_id: str, position: int, user: str, given: Answer, now: datetime
) -> Answered:
    """Record `given` for the question at `position` once; displayed option indexes in `given.chosen`
    are mapped back through the attempt's order. Says what happened either way.

    The hot path of a quiz: Core statements on one connection (read the attempt, claim, insert the
    answer, move on), a review card only for a miss or a review."""
    async with db.connection() as conn:
        attempt = await _attempt(conn, attempt_id)
        if attempt is None:
            return Answered("unknown")
        if attempt.user_id != user:
            return Answered("not_yours")
        plan = Plan.load(attempt.plan)
        total = len(plan.items)
        if position < attempt.position:  # a double click, a retry, an earlier question's button
            return Answered("already_answered", position=position, total=total)
        if attempt.finished_at is not None:
            return Answered("finished", position=position, total=total)
        topic = await store.topic(conn, attempt.topic_id)
        if attempt.deadline is not None and now > attempt.deadline:
            if not await claim_in(conn, f"quiz-finished:{attempt_id}", "quiz-finish", now):
                return Answered("finished", position=position, total=total)
            result = await _finish(conn, attempt, now)
            return Answered(
                "time_up", result=result, position=position, total=total, topic=topic, attempt_id=attempt_id
            )
        if position > attempt.position:
            return Answered("not_yet", position=position, total=total)
        if not await claim_in(conn, f"quiz-answer:{attempt_id}:{position}", "quiz-answer", now):
            return Answered("already_answered", position=position, total=total)
        item = plan.items[position]
        question = (await store.versions(conn, [item["version"]]))[item["version"]]
        order = item["order"]
        original = Answer(
            chosen=tuple(order[i] for i in given.chosen if 0 <= i < len(order)),
            text=given.text,
            matches=given.matches,
        )
        scored = score(question, original)
        await conn.execute(
            _INSERT_ANSWER,
            {
                "attempt_id": attempt_id,
                "position": position,
                "version_id": item["version"],
                "answer": store.answer_json(original),
                "credit": scored.credit,
                "right": scored.right,
                "answered_at": now,
            },
        )
        # A missed question comes back in spaced review; a review answer moves its card on. A right
        # answer in a quiz leaves the cards alone (and costs no query).
        if attempt.kind == "review" or not scored.right:
            await review.record(conn, user, attempt.topic_id, question, scored.right, now)
        await conn.execute(_MOVE_ON, {"attempt": attempt_id, "next": position + 1})
        if position + 1 >= total:
            # The deadline's timer may have closed it a moment ago: then it told the result, not us.
            won = await claim_in(conn, f"quiz-finished:{attempt_id}", "quiz-finish", now)
            result = await _finish(conn, attempt, now) if won else None
            return Answered(
                "recorded", question, scored, None, result, position, total, topic, attempt.kind, attempt_id
            )
        next_step = await _step(conn, attempt, position + 1)
        return Answered("recorded", question, scored, next_step, None, position, total, topic, attempt.kind)


async def close_expired(db: Database, attempt_id: str, now: datetime) -> Answered | None:
    """Close an attempt whose time ran out with nobody clicking; None when it is already closed
    (answered to the end, or closed by a late click, which told the person itself)."""
    async with db.connection() as conn:
        attempt = await _attempt(conn, attempt_id)
        if attempt is None or attempt.finished_at is not None:
            return None
        if attempt.deadline is not None and now < attempt.deadline:
            return None
        if not await claim_in(conn, f"quiz-finished:{attempt_id}", "quiz-finish", now):
            return None
        result = await _finish(conn, attempt, now)
        topic = await store.topic(conn, attempt.topic_id)
        total = len(Plan.load(attempt.plan).items)
        return Answered(
            "time_up",
            result=result,
            position=attempt.position,
            total=total,
            topic=topic,
            attempt_id=attempt_id,
        )


async def _finish(conn: Executor, attempt: Any, now: datetime) -> Result:
    """Close the attempt: unanswered questions count as wrong; passed against the topic's mark."""
    plan = Plan.load(attempt.plan)
    answers = (
        await conn.execute(
            select(QuizAnswer.position, QuizAnswer.credit, QuizAnswer.right).where(
                QuizAnswer.attempt_id == attempt.attempt_id
            )
        )
    ).all()
    by_position = {a.position: a for a in answers}
    questions = await store.versions(conn, [item["version"] for item in plan.items])
    topic = await store.topic(conn, attempt.topic_id)
    total = len(plan.items)
    credit = sum(a.credit for a in answers) / total if total else 0.0
    missed = tuple(
        questions[item["version"]]
        for position, item in enumerate(plan.items)
        if position not in by_position or not by_position[position].right
    )
    passed = credit >= (topic.pass_mark if topic else 1.0) - 1e-9
    await conn.execute(
        update(_ATTEMPTS)
        .where(_ATTEMPTS.c.attempt_id == attempt.attempt_id, _ATTEMPTS.c.finished_at.is_(None))
        .values(finished_at=now, credit=credit, passed=passed)
    )
    return Result(credit, passed, sum(1 for a in answers if a.right), total, missed)
