"""The quiz report and review stories that Teams and the local workspace both tell: one bank, a cohort
placed by roster with scripted answers, and the figures computed here from the script alone, so each
platform's test compares what the person reads with an independent computation.

Answers are recorded through `attempts.start/answer` (the path a click takes) before the bot starts;
what each test then drives through its platform is the trainer's, lead's or labeler's side.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.workspace import Workspace
from handlers.quiz import attempts, people, store
from handlers.quiz.bank import Answer, Choice, ImportedBank, Question
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import QuizReviewCard

TOPIC, TITLE, PASS_MARK = "calm-checks", "Calm checks", 0.6
# (question id, text, right option, wrong option): two options each, the right one first in the bank.
QUESTIONS = (
    ("links", "The same short link posted fifty times in an hour is:", "spam", "a news share"),
    ("bait", "Like and share to win, with no prize, is:", "engagement bait", "a giveaway"),
    ("quote", "Quoting an insult to condemn it is:", "counter-speech", "an attack"),
)
VENDOR_NAMES = {"northwind": "Northwind Review Services", "bluebird": "Bluebird Moderation"}


@dataclass(frozen=True)
class Member:
    """One labeler of the cohort: where they work and how many questions (the first ones) they get right;
    `right` None: assigned but never finished."""

    user: str
    vendor: str
    site: str
    right: int | None


PLAN = (  # vendor, site, questions right
    ("northwind", "lisbon", 3),
    ("northwind", "lisbon", 2),
    ("northwind", "lisbon", 1),
    ("northwind", "manila", 3),
    ("northwind", "manila", 0),
    ("northwind", "manila", None),
    ("bluebird", "nairobi", 2),
    ("bluebird", "nairobi", 0),
)


def cohort(ids: list[str]) -> list[Member]:
    return [Member(user, *where) for user, where in zip(ids, PLAN, strict=True)]


def with_cohort(workspace: Workspace, members: list[Member]) -> Workspace:
    """The example workspace plus the cohort as people and as `group:cohort`, without scheduled digests
    (on the real clock one would fall due mid-test at some hours)."""
    raw = workspace.model_dump(mode="json")
    raw["people"] += [
        {"id": m.user, "name": f"Cohort Labeler{n}", "title": "Labeler"} for n, m in enumerate(members, 1)
    ]
    raw["groups"] = [*raw["groups"], {"id": "cohort", "name": "Cohort", "members": [m.user for m in members]}]
    raw["digests"] = []
    return Workspace.model_validate(raw)


def bank() -> ImportedBank:
    imported = ImportedBank(titles={TOPIC: TITLE}, pass_marks={TOPIC: PASS_MARK})
    for qid, text, right, wrong in QUESTIONS:
        imported.add(
            TOPIC,
            Question(qid, "single", text, choices=(Choice(right, 1.0), Choice(wrong)), policy=f"calm#{qid}"),
        )
    return imported


async def take(db: Database, user: str, wrong: set[str], at: datetime) -> None:
    """One finished attempt, every question right except those in `wrong`."""
    step = await attempts.start(db, user, TOPIC, at, rng=random.Random(7))
    while step is not None:
        shown = step.order.index(1 if step.question.id in wrong else 0)  # the button for that option
        at += timedelta(minutes=1)
        done = await attempts.answer(db, step.attempt_id, step.position, user, Answer(chosen=(shown,)), at)
        assert done.outcome == "recorded"
        step = done.next_step


def missed_by(member: Member) -> set[str]:
    """The questions after the first `right` ones."""
    return {q[0] for q in QUESTIONS[member.right or 0 :]}


async def seed(database_url: str, workspace: Workspace, members: list[Member], at: datetime) -> None:
    """The bank, the roster (as `tsqa quiz roster import` stores it) and everyone's finished attempt."""
    db = Database(database_url)
    await upgrade(db)
    await store.import_bank(db, bank(), at - timedelta(days=1))
    roster = "user_id,vendor,site\n" + "".join(f"{m.user},{m.vendor},{m.site}\n" for m in members)
    await people.import_roster(db, people.parse_roster(roster.encode(), workspace), at)
    for index, member in enumerate(members):
        if member.right is not None:
            await take(db, member.user, missed_by(member), at + timedelta(hours=index))
    await db.dispose()


# ----- what the messages should say, from the plan alone -----


def _pct(value: float) -> str:
    return f"{value:.0%}"


def report_headline(members: list[Member], vendor: str | None = None) -> str:
    """The report's first sentence over first attempts, for everyone or one vendor."""
    scores = [m.right / len(QUESTIONS) for m in members if m.right is not None and vendor in (None, m.vendor)]
    passed = sum(s >= PASS_MARK for s in scores)
    return (
        f"{len(scores)} labelers took it ({len(scores)} finished attempts). "
        f"Mean {_pct(statistics.mean(scores))}, median {_pct(statistics.median(scores))}, "
        f"pass rate {_pct(passed / len(scores))} (pass mark {_pct(PASS_MARK)})."
    )


def question_lines(members: list[Member]) -> list[str]:
    """Per question its p (share right), as the report lists them."""
    done = [m for m in members if m.right is not None]
    found = []
    for index, (qid, *_rest) in enumerate(QUESTIONS):
        p = sum(m.right > index for m in done) / len(done)  # type: ignore[operator]
        found.append(f"{qid} p {_pct(p)}")
    return found


def status_lines(members: list[Member]) -> list[str]:
    """`/quiz status`: the total, then per vendor and site assigned, finished, passed."""

    def line(group: list[Member], name: str) -> str:
        done = [m for m in group if m.right is not None]
        passed = [m for m in done if m.right / len(QUESTIONS) >= PASS_MARK]  # type: ignore[operator]
        rate = _pct(len(passed) / len(done)) if done else "–"
        return (
            f"{name}{len(group)} assigned, {len(done)} finished ({_pct(len(done) / len(group))}), "
            f"{len(passed)} passed" + (f" (pass rate {rate} of those who finished)" if name else ".")
        )

    places = sorted({(m.vendor, m.site) for m in members})
    return [line(members, "")] + [
        line([m for m in members if (m.vendor, m.site) == place], f"{VENDOR_NAMES[place[0]]} · {place[1]}: ")
        for place in places
    ]


def answer_rows(members: list[Member]) -> int:
    """Rows of the answers CSV: every answer of every finished attempt."""
    return sum(len(QUESTIONS) for m in members if m.right is not None)


# ----- review -----

MISSED = QUESTIONS[0]  # the labeler of the review story misses the first question only


async def seed_missed(database_url: str, user: str, at: datetime) -> None:
    """The bank and one attempt whose first question was missed: its review card is due a minute later."""
    db = Database(database_url)
    await upgrade(db)
    await store.import_bank(db, bank(), at - timedelta(days=1))
    await take(db, user, {MISSED[0]}, at)
    await db.dispose()


async def review_card(db: Database, user: str) -> Any:
    """The missed question's FSRS card row: (reviews, lapses, due_at)."""
    async with db.transaction() as session:
        return (
            await session.execute(
                select(QuizReviewCard.reviews, QuizReviewCard.lapses, QuizReviewCard.due_at).where(
                    QuizReviewCard.user_id == user,
                    QuizReviewCard.topic_id == TOPIC,
                    QuizReviewCard.question_id == MISSED[0],
                )
            )
        ).one()


def letter_in(text: str, option: str) -> str:
    """The letter the shuffle gave `option` in a question's text (lines like `B) spam`)."""
    for line in text.splitlines():
        if ") " in line and line.split(") ", 1)[1].strip() == option:
            return line.split(")")[0].strip()
    raise AssertionError(f"{option!r} not listed in {text!r}")
