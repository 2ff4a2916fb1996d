"""Spaced review on a real database with a fake clock: cards from wrong answers only, due dates and
retention as fsrs computes them itself, sessions over the due questions, one nudge a day."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fsrs import Card, Rating, Scheduler
from sqlalchemy import func, select

from bot.chat.events import Command
from bot.chat.model import Message, MessageRef
from bot.context import Context, Services
from bot.routing import UsageError
from bot.workspace import Workspace
from handlers.quiz import attempts, review, store
from handlers.quiz.bank import Answer, Choice, ImportedBank, Question
from handlers.quiz.retention import retention
from storage.engine import Database
from storage.models import QuizAttempt, QuizQuestion, QuizReviewCard

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 09:00 in Dublin too (winter)
LATER = NOW + timedelta(hours=1)
DAY = timedelta(days=1)
ANA, BEN, CAI = "U0LABEL01", "U0LABEL02", "U0LABEL03"


def bank(edited: str = "") -> ImportedBank:
    imported = ImportedBank()
    for topic, title, ids in (
        ("spam", "Spam basics", ("links", "burst", "bots")),
        ("hate", "Hate", ("slur",)),
    ):
        imported.titles[topic] = title
        imported.pass_marks[topic] = 0.6
        for qid in ids:
            text = f"Which {qid} pattern breaks policy?" + (edited if qid == "links" else "")
            choices = (Choice("The repeated one", 1.0), Choice("The single one", 0.0), Choice("Neither", 0.0))
            imported.add(topic, Question(qid, "single", text, choices=choices, policy=f"{topic}#{qid}"))
    return imported


def workspace(nudges: Any = True) -> Workspace:
    data: dict[str, Any] = {"timezone": "Europe/Dublin", "admins": ["U0ADMIN1"]}
    if nudges is not None:
        data["quiz"] = {"review_nudges": nudges}
    return Workspace.model_validate(data)


def by_fsrs(ratings: list[tuple[Rating, datetime]]) -> Card:
    """The card fsrs itself makes from these ratings, with a scheduler of its own."""
    scheduler = Scheduler(enable_fuzzing=False)
    card = Card(card_id=1, due=ratings[0][1])
    for rating, at in ratings:
        card, _ = scheduler.review_card(card, rating, at)
    return card


async def answer(db: Database, user: str, topic: str, qid: str, right: bool, at: datetime) -> None:
    async with db.transaction() as session:
        await review.record(session, user, topic, qid, right, at)


async def card_of(db: Database, user: str, topic: str, qid: str) -> QuizReviewCard | None:
    async with db.transaction() as session:
        return await session.get(QuizReviewCard, (user, topic, qid))


async def test_cards_come_from_wrong_answers_only_and_fall_due_as_fsrs_says(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    await answer(db, ANA, "spam", "links", True, NOW)
    assert await card_of(db, ANA, "spam", "links") is None

    history = [(Rating.Again, NOW)]
    await answer(db, ANA, "spam", "burst", False, NOW)
    row = await card_of(db, ANA, "spam", "burst")
    assert row is not None and (row.reviews, row.lapses) == (1, 0)
    assert row.due_at == by_fsrs(history).due and row.due_at > NOW

    for right, at in (
        (True, NOW + timedelta(days=1)),
        (True, NOW + timedelta(days=3)),
        (False, NOW + timedelta(days=9)),
    ):
        history.append((Rating.Good if right else Rating.Again, at))
        await answer(db, ANA, "spam", "burst", right, at)
        row = await card_of(db, ANA, "spam", "burst")
        assert row is not None and row.due_at == by_fsrs(history).due
    assert (row.reviews, row.lapses) == (4, 1)
    assert Card.from_json(row.card).stability == pytest.approx(by_fsrs(history).stability)


async def test_a_missed_question_in_a_real_attempt_gets_a_card(db: Database) -> None:
    """The lead calls `record` for each recorded answer; here after `attempts.answer`, as it would."""
    await store.import_bank(db, bank(), NOW)
    step = await attempts.start(db, ANA, "hate", NOW, rng=random.Random(3))
    wrong = step.order.index(1)
    answered = await attempts.answer(db, step.attempt_id, 0, ANA, Answer(chosen=(wrong,)), NOW)
    assert answered.score is not None and not answered.score.right and answered.question is not None
    await answer(db, ANA, "hate", answered.question, answered.score.right, NOW)
    assert await review.due(db, ANA, NOW + timedelta(minutes=2)) == [("hate", "slur")]


async def test_a_review_session_asks_the_due_questions_of_one_topic_in_their_active_versions(
    db: Database,
) -> None:
    await store.import_bank(db, bank(), NOW)
    for topic, qid in (("spam", "links"), ("spam", "burst"), ("hate", "slur")):
        await answer(db, ANA, topic, qid, False, NOW)
    await answer(db, BEN, "spam", "bots", False, NOW)
    assert await review.due(db, ANA, NOW) == []
    assert await review.start_review(db, ANA, NOW) is None
    assert await review.due(db, ANA, LATER) == [("hate", "slur"), ("spam", "burst"), ("spam", "links")]
    assert await review.due(db, ANA, LATER, limit=1) == [("hate", "slur")]

    await store.import_bank(db, bank(" (edited)"), NOW)  # a new version of `links` is the one asked
    step = await review.start_review(db, ANA, LATER, random.Random(5))
    assert step is not None and step.topic.id == "spam" and step.total == 2
    async with db.transaction() as session:
        attempt = await session.get(QuizAttempt, step.attempt_id)
        assert attempt is not None and attempt.kind == "review" and attempt.deadline is None
        active = dict(
            (await session.execute(
                select(QuizQuestion.question_id, QuizQuestion.version_id).where(
                    QuizQuestion.topic_id == "spam", QuizQuestion.active.is_(True)
                )
            )).all()
        )  # fmt: skip
    plan = attempts.Plan.load(attempt.plan)
    assert [item["version"] for item in plan.items] == [active["burst"], active["links"]]
    session_id = step.attempt_id
    again = await review.start_review(db, ANA, LATER)
    assert again is not None and again.attempt_id == session_id  # a second start continues it

    asked = []
    while step is not None:
        asked.append(step.question.id)
        right = step.question.id == "burst"
        chosen = step.order.index(0 if right else 1)
        answered = await attempts.answer(
            db, step.attempt_id, step.position, ANA, Answer(chosen=(chosen,)), LATER
        )
        assert answered.outcome == "recorded" and answered.score is not None and answered.question is not None
        step = answered.next_step  # attempts.answer records the review itself
    assert asked == ["burst", "links"] and "(edited)" in answered.question.text
    assert answered.result is not None and (answered.result.right, answered.result.total) == (1, 2)
    burst = await card_of(db, ANA, "spam", "burst")
    assert burst is not None and burst.due_at == by_fsrs([(Rating.Again, NOW), (Rating.Good, LATER)]).due

    following = await review.start_review(db, ANA, LATER)
    assert following is not None and following.topic.id == "hate" and following.attempt_id != session_id


async def test_two_starts_at_once_make_one_session(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    for qid in ("links", "burst"):
        await answer(db, ANA, "spam", qid, False, NOW)
    first, second = await asyncio.gather(
        review.start_review(db, ANA, LATER), review.start_review(db, ANA, LATER)
    )
    assert first is not None and second is not None and first.attempt_id == second.attempt_id
    async with db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(QuizAttempt))
    assert count == 1


async def test_retention_is_fsrs_retrievability_averaged_per_topic_and_vendor(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    histories: dict[tuple[str, str], list[tuple[Rating, datetime]]] = {
        (ANA, "links"): [(Rating.Again, NOW), (Rating.Good, NOW + timedelta(days=1))],
        (ANA, "burst"): [(Rating.Again, NOW)],
        (BEN, "links"): [(Rating.Again, NOW), (Rating.Good, NOW + DAY), (Rating.Good, NOW + 4 * DAY)],
        (CAI, "bots"): [(Rating.Again, NOW), (Rating.Again, NOW + timedelta(days=2))],
    }  # fmt: skip
    for (user, qid), ratings in histories.items():
        for rating, at in ratings:
            await answer(db, user, "spam", qid, rating == Rating.Good, at)
    at = NOW + timedelta(days=12)
    scheduler = Scheduler(enable_fuzzing=False)
    own = {key: scheduler.get_card_retrievability(by_fsrs(r), at) for key, r in histories.items()}
    vendors = {ANA: "acme", BEN: "acme"}

    async def placement(users: list[str]) -> dict[str, tuple[str | None, str | None]]:
        return {u: (vendors.get(u), None) for u in users}

    found = await retention(db, "spam", now=at, placement=placement)
    assert found.overall is not None and (found.overall.cards, found.overall.people) == (4, 3)
    assert found.overall.mean == pytest.approx(sum(own.values()) / 4)
    acme = [v for (user, _), v in own.items() if user in vendors]
    assert found.vendors["acme"].mean == pytest.approx(sum(acme) / 3) and found.vendors["acme"].people == 2
    assert found.vendors["unknown"].mean == pytest.approx(own[(CAI, "bots")])
    assert 0 < min(own.values()) < max(own.values()) < 1  # the figures differ: a mix-up would show
    assert (await retention(db, "hate", now=at)).overall is None
    # A vendor lead's scope: only acme's people, overall included; nobody else's cards.
    scoped = await retention(db, "spam", now=at, placement=placement, vendor="acme")
    assert scoped.overall is not None and scoped.overall.mean == pytest.approx(sum(acme) / 3)
    assert set(scoped.vendors) == {"acme"} and scoped.overall.people == 2


class Port:
    """Only what review uses: DMs, recorded; a user in `unreachable` fails once."""

    def __init__(self, unreachable: set[str] | None = None) -> None:
        self.dms: list[tuple[str, Message]] = []
        self.unreachable = set(unreachable or ())

    async def dm(
        self, user: str, message: Message, *, key: str | None = None, look_first: bool = False
    ) -> MessageRef:
        if user in self.unreachable:
            self.unreachable.discard(user)
            raise RuntimeError("cannot open a DM")
        self.dms.append((user, message))
        return MessageRef(f"D-{user}", str(len(self.dms)))


def services(db: Database, port: Port, clock: list[datetime], ws: Workspace | None = None) -> Services:
    return Services(
        port=port, db=db, workspace=ws or workspace(), roles=None, settings=None, clock=lambda: clock[0]
    )  # type: ignore[arg-type]


async def test_nudges_reach_each_person_with_reviews_due_once_a_day(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    await answer(db, ANA, "spam", "links", False, NOW - timedelta(hours=2))
    await answer(db, CAI, "spam", "links", False, NOW - timedelta(hours=2))
    await answer(db, BEN, "spam", "burst", False, NOW + timedelta(days=1) - timedelta(seconds=30))
    port, clock = Port(unreachable={CAI}), [NOW]
    bot = services(db, port, clock)

    assert await review.nudge(bot) == 1  # CAI cannot be reached: ANA still hears
    assert [user for user, _ in port.dms] == [ANA] and "1 question" in port.dms[0][1].summary.plain
    clock[0] = NOW + timedelta(minutes=30)
    assert await review.nudge(bot) == 1  # CAI now; ANA not twice
    assert [user for user, _ in port.dms] == [ANA, CAI]
    clock[0] = NOW + timedelta(days=1)  # BEN's card is not due until 30 s later
    assert await review.nudge(bot) == 2
    assert [user for user, _ in port.dms[2:]] == [ANA, CAI]


async def test_nudges_are_off_unless_the_workspace_opts_in(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    await answer(db, ANA, "spam", "links", False, NOW - timedelta(hours=2))
    for setting in (None, False, "yes"):
        port = Port()
        assert await review.nudge(services(db, port, [NOW], workspace(setting))) == 0 and port.dms == []
        assert review.jobs(workspace(setting)) == []
    [job] = review.jobs(workspace(True))
    fires = job.trigger.get_next_fire_time(None, datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    assert fires == datetime(2026, 7, 2, 8, 0, tzinfo=UTC)  # 09:00 in Dublin in summer


class Said:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message, ephemeral: bool) -> None:
        self.messages.append(message)


async def test_the_review_command_starts_a_session_in_the_dm_or_says_when_the_next_is_due(
    db: Database,
) -> None:
    await store.import_bank(db, bank(), NOW)
    port, clock, said = Port(), [NOW], Said()
    ctx = Context(services(db, port, clock), user=ANA, channel="C0TRAIN01", responder=said)
    cmd = Command("quiz", "review", ANA, "C0TRAIN01")

    await review.review_command(ctx, cmd, [])
    assert "Nothing to review:" in said.messages[-1].summary.plain
    await answer(db, ANA, "spam", "links", False, NOW)
    await review.review_command(ctx, cmd, [])
    assert "next review is due Mon 30 Nov 09:01 (Europe/Dublin)" in said.messages[-1].summary.plain
    clock[0] = LATER
    await review.review_command(ctx, cmd, [])
    assert "Spam basics" in said.messages[-1].summary.plain
    [(user, question)] = port.dms
    assert user == ANA and "Spam basics · question 1 of 1" in question.summary.plain

    await review.review_command(ctx, cmd, ["off"])
    assert "workspace file" in said.messages[-1].summary.plain
    with pytest.raises(UsageError):
        await review.review_command(ctx, cmd, ["soon"])
