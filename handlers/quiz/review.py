"""Spaced review of missed questions: one FSRS card per person, topic and question.

A wrong answer creates the card (rated Again) or reviews it with Again; a right answer reviews an
existing card with Good, in a quiz as in a review session (recall is recall); a right answer to a
question with no card creates nothing. A review session is a `QuizAttempt` of kind "review" over
the due questions' active versions, all from ONE topic (the one with most due questions), so the
attempt's topic is every answer's topic; it is answered with `attempts.answer` like a quiz and never
counts as a quiz result. Fuzzing is off: a due date follows from the answers alone.

Daily nudges are opt-in for the whole workspace (`quiz: {review_nudges: true}` in the workspace
file): a per-person opt-out would need a claim that can be deleted, and done claims are purged after
90 days, which would silently switch a person's nudges back on.
"""

from __future__ import annotations

import hashlib
import logging
import random
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.cron import CronTrigger
from fsrs import Card, Rating, Scheduler
from sqlalchemy import ColumnElement, Exists, and_, bindparam, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.events import Action, Command
from bot.chat.model import Button, Buttons, ContextLine, Message, Text, command, md
from bot.context import Context, Services
from bot.routing import Job, UsageError
from bot.workspace import Workspace
from handlers.quiz import attempts  # the module, read at call time: attempts may import this one
from handlers.quiz.bank import Question
from handlers.quiz.store import question_from_json
from storage import claims
from storage.claims import claim_in, insert_once
from storage.engine import Database, Executor
from storage.models import QuizAttempt, QuizQuestion, QuizReviewCard

if TYPE_CHECKING:
    from handlers.quiz.attempts import Result, Step

log = logging.getLogger("tsqa.quiz.review")

SCHEDULER = Scheduler(enable_fuzzing=False)
SESSION = 10  # questions per review session: short enough to finish between tasks
START_REVIEW = "quiz:review"  # a button in the nudge; value unused
NUDGE_HOUR = 9

# ----- cards -----


_CARD = (QuizReviewCard.card, QuizReviewCard.reviews, QuizReviewCard.lapses)


def _this_card(user: Any, topic_id: Any, question_id: Any) -> ColumnElement[bool]:
    return and_(
        QuizReviewCard.user_id == user,
        QuizReviewCard.topic_id == topic_id,
        QuizReviewCard.question_id == question_id,
    )


_THE_CARD = _this_card(bindparam("user"), bindparam("topic"), bindparam("question"))
_READ_CARD = select(*_CARD).where(_THE_CARD).with_for_update()
_REVIEW_CARD = update(QuizReviewCard.__table__).where(_THE_CARD)


async def _card_row(session: Executor, user: str, topic_id: str, question_id: str) -> Any:
    """The card's columns, locked on PostgreSQL so two answers at once review it one after the other."""
    params = {"user": user, "topic": topic_id, "question": question_id}
    return (await session.execute(_READ_CARD, params)).first()


async def record(
    session: Executor, user: str, topic_id: str, question: Question | str, right: bool, now: datetime
) -> None:
    """Review (or create) the card of an answer just recorded, inside the answer's own transaction.
    `reviews` counts every rating; `lapses` the wrong answers after the first miss."""
    question_id = question if isinstance(question, str) else question.id
    now = now.astimezone(UTC)  # fsrs accepts UTC only
    row = await _card_row(session, user, topic_id, question_id)
    if row is None:
        if right:
            return
        card, _ = SCHEDULER.review_card(Card(card_id=int(now.timestamp() * 1000), due=now), Rating.Again, now)
        created = await insert_once(
            session, QuizReviewCard, ["user_id", "topic_id", "question_id"],
            user_id=user, topic_id=topic_id, question_id=question_id, card=card.to_json(), due_at=card.due,
            reviews=1, lapses=0,
        )  # fmt: skip
        if created:
            return
        row = await _card_row(session, user, topic_id, question_id)  # another answer created it meanwhile
        assert row is not None
    card, _ = SCHEDULER.review_card(Card.from_json(row.card), Rating.Good if right else Rating.Again, now)
    await session.execute(
        _REVIEW_CARD.values(
            card=card.to_json(),
            due_at=card.due,
            reviews=row.reviews + 1,
            lapses=row.lapses + (0 if right else 1),
        ),
        {"user": user, "topic": topic_id, "question": question_id},
    )


def _has_active_version() -> Exists:
    """A card whose question is no longer in its bank is not asked (nor nagged about)."""
    return exists().where(
        QuizQuestion.topic_id == QuizReviewCard.topic_id,
        QuizQuestion.question_id == QuizReviewCard.question_id,
        QuizQuestion.active.is_(True),
    )


async def _due_cards(
    session: AsyncSession, user: str, now: datetime, limit: int | None
) -> list[QuizReviewCard]:
    query = (
        select(QuizReviewCard)
        .where(QuizReviewCard.user_id == user, QuizReviewCard.due_at <= now, _has_active_version())
        .order_by(QuizReviewCard.due_at, QuizReviewCard.topic_id, QuizReviewCard.question_id)
    )
    return list((await session.scalars(query.limit(limit) if limit else query)).all())


async def due(db: Database, user: str, now: datetime, limit: int = SESSION) -> list[tuple[str, str]]:
    """(topic id, question id) of the person's due reviews, most overdue first."""
    async with db.transaction() as session:
        return [(c.topic_id, c.question_id) for c in await _due_cards(session, user, now, limit)]


async def next_due(db: Database, user: str) -> datetime | None:
    """When the person's next review falls due (None: nothing to review, ever)."""
    async with db.transaction() as session:
        return await session.scalar(
            select(func.min(QuizReviewCard.due_at)).where(
                QuizReviewCard.user_id == user, _has_active_version()
            )
        )


# ----- review sessions -----


async def _open_review(db: Database, user: str) -> str | None:
    async with db.transaction() as session:
        return await session.scalar(
            select(QuizAttempt.attempt_id)
            .where(
                QuizAttempt.user_id == user, QuizAttempt.kind == "review", QuizAttempt.finished_at.is_(None)
            )
            .order_by(QuizAttempt.started_at.desc())
            .limit(1)
        )


def _session_cards(cards: list[QuizReviewCard]) -> list[QuizReviewCard]:
    """The cards of the topic with most due questions (a tie: the one due first), most overdue first."""
    if not cards:
        return []
    counts = Counter(c.topic_id for c in cards)
    first = {}
    for index, card in enumerate(cards):
        first.setdefault(card.topic_id, index)
    topic = max(counts, key=lambda t: (counts[t], -first[t]))
    return [c for c in cards if c.topic_id == topic][:SESSION]


async def _active_versions(session: AsyncSession, cards: list[QuizReviewCard]) -> list[tuple[int, Question]]:
    topic = cards[0].topic_id
    ids = [c.question_id for c in cards]
    rows = (
        await session.scalars(
            select(QuizQuestion).where(
                QuizQuestion.topic_id == topic,
                QuizQuestion.question_id.in_(ids),
                QuizQuestion.active.is_(True),
            )
        )
    ).all()
    by_id = {row.question_id: row for row in rows}
    found = [by_id[i] for i in ids if i in by_id]
    return [(row.version_id, question_from_json(row.content)) for row in found]


def _order(question: Question, rng: random.Random) -> list[int]:
    order = list(range(len(question.choices)))
    if question.type in attempts.SHUFFLED:
        rng.shuffle(order)
    return order


def _session_key(user: str, cards: list[QuizReviewCard]) -> str:
    """What a session means: these cards at these due times. Two starts at once make one session;
    answering moves the due times, so the next session is a new key."""
    what = "|".join(f"{c.topic_id}/{c.question_id}@{c.due_at.isoformat()}" for c in cards)
    return f"quiz-review-session:{user}:{hashlib.sha256(what.encode()).hexdigest()[:32]}"


async def start_review(
    db: Database, user: str, now: datetime, rng: random.Random | None = None, *, channel: str | None = None
) -> Step | None:
    """The person's open review session, or a new one over their due questions; None: nothing due."""
    if (open_id := await _open_review(db, user)) and (step := await attempts.current(db, open_id, now)):
        return step
    rng = rng or random.Random()
    async with db.transaction() as session:
        cards = _session_cards(await _due_cards(session, user, now, None))
        chosen = await _active_versions(session, cards) if cards else []
        if not chosen:
            return None
        attempt_id = uuid.uuid4().hex
        won = await claim_in(session, _session_key(user, cards), "quiz-review", now)
        if won:
            plan = attempts.Plan([{"version": version, "order": _order(q, rng)} for version, q in chosen])
            session.add(
                QuizAttempt(
                    attempt_id=attempt_id, topic_id=cards[0].topic_id, user_id=user, kind="review",
                    plan=plan.dump(), position=0, started_at=now, deadline=None, channel=channel,
                )
            )  # fmt: skip
    if not won:  # another start of the same session got there first: that one continues
        open_id = await _open_review(db, user)
        return await attempts.current(db, open_id, now) if open_id else None
    return await attempts.current(db, attempt_id, now)


# ----- chat -----


def nudges_enabled(workspace: Workspace) -> bool:
    section = workspace.section("quiz") or {}
    value = section.get("review_nudges", False) if isinstance(section, dict) else False
    if not isinstance(value, bool):
        log.warning("quiz.review_nudges in the workspace file should be true or false, not %r", value)
    return value is True


def _when(workspace: Workspace, at: datetime) -> str:
    return f"{at.astimezone(workspace.tz):%a %d %b %H:%M} ({workspace.timezone})"


async def review_command(ctx: Context, cmd: Command, args: list[str]) -> None:
    """`/quiz review`: a short session of the person's due questions, in their DM."""
    if args and args[0].lower() in ("on", "off"):
        state = "on" if nudges_enabled(ctx.workspace) else "off"
        await ctx.respond(
            Message.text(
                md(
                    "Daily review reminders are set for the whole workspace by its admins "
                    "(`quiz: review_nudges` in the workspace file); they are {} now. "
                    "`{}` works whenever you like.",
                    state,
                    command("quiz review"),
                )  # fmt: skip
            )
        )
        return
    if args:
        raise UsageError(md("`{}` is not something review understands", " ".join(args)))
    await _start(ctx, cmd.user)


async def review_button(ctx: Context, action: Action) -> None:
    """The nudge's Start button: the same as `/quiz review`."""
    await _start(ctx, action.user)


async def _start(ctx: Context, user: str) -> None:
    step = await start_review(ctx.db, user, ctx.now())
    if step is None:
        upcoming = await next_due(ctx.db, user)
        if upcoming is None:
            text = md("Nothing to review: questions you miss in a quiz come back here later.")
        else:
            text = md("Nothing to review now. Your next review is due {}.", _when(ctx.workspace, upcoming))
        await ctx.respond(Message.text(text))
        return
    await ctx.respond(Message.text(md("Your review of *{}* is in our DM.", step.topic.title)))
    from handlers.quiz import views  # here: views imports attempts, which may be importing this module

    await ctx.port.dm(user, views.question_message(step))


def done_message(result: Result) -> Message:
    """The end of a review session: no pass or fail, just how it went."""
    text = md(
        "Review done: {} of {} right. Missed ones come back sooner, the rest later.",
        result.right,
        result.total,
    )
    return Message.text(text)


def nudge_message(count: int) -> Message:
    text = md("📚 {} question(s) you missed before are due for review: a few minutes, in our DM.", count)
    return Message.of(
        text,
        Text(text),
        Buttons((Button("Start review", START_REVIEW, style="primary"),)),
        ContextLine((md("Or type `{}`.", command("quiz review")),)),
    )


async def nudge(services: Services) -> int:
    """The 09:00 job: one DM a day to each person with reviews due, when the workspace opted in.
    Returns how many were nudged by this run."""
    if not nudges_enabled(services.workspace):
        return 0
    now = services.clock()
    day = now.astimezone(services.workspace.tz).date()
    async with services.db.transaction() as session:
        counts = (
            await session.execute(
                select(QuizReviewCard.user_id, func.count())
                .where(QuizReviewCard.due_at <= now, _has_active_version())
                .group_by(QuizReviewCard.user_id)
                .order_by(QuizReviewCard.user_id)
            )
        ).all()
    nudged = 0
    for user, count in counts:
        key = f"quiz-review-nudge:{user}:{day}"

        async def send(taken: claims.Taken, user: str = user, count: int = count, key: str = key) -> str:
            sent = await services.port.dm(user, nudge_message(count), key=key, look_first=taken.retaken)
            return sent.ts

        try:  # one person who cannot be reached does not stop the others
            taken = await claims.once(services.db, key, "quiz-review", services.clock, send)
        except Exception:
            log.exception("could not nudge %s about their reviews", user)
            continue
        if taken.won:
            nudged += 1
    return nudged


def jobs(workspace: Workspace) -> list[Job]:
    """Register with `router.jobs(review.jobs)`: the daily nudge, only when the workspace opted in."""
    if not nudges_enabled(workspace):
        return []
    return [Job("quiz.review-nudge", CronTrigger(hour=NUDGE_HOUR, minute=0, timezone=workspace.tz), nudge)]
