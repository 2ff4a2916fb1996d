"""The quiz report tests' data: a five-question bank, fourteen labelers at known vendors and sites, and
their scripted first attempts (plus a retake, an unfinished and an old attempt) made through `attempts`."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np

from handlers.quiz import attempts, report, store
from handlers.quiz.bank import Answer, Choice, ImportedBank, Question
from storage.engine import Database

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
TOPIC = "mod"
QUESTIONS = ("q1", "q2", "q3", "q4", "q5")
USERS = [f"U0LAB{i:04d}" for i in range(1, 15)]
WHERE = {
    **{u: ("northwind", "lisbon") for u in USERS[:4]},
    **{u: ("northwind", "manila") for u in USERS[4:7]},
    **{u: ("bluebird", "nairobi") for u in USERS[7:11]},
}  # the rest: unknown
PASS_MARK = 0.6


def bank() -> ImportedBank:
    imported = ImportedBank(titles={TOPIC: "Moderation basics"}, pass_marks={TOPIC: PASS_MARK})
    for number, qid in enumerate(QUESTIONS):
        options = (Choice("Remove it", 1.0), Choice("Keep it"), Choice("=SUM(A1)"), Choice("Escalate"))
        imported.add(
            TOPIC,
            Question(qid, "single", f"Sample case {number + 1}: what applies?", choices=options,
                     policy=f"mod#section-{number + 1}"),
        )  # fmt: skip
    return imported


def scripts(seed: int = 5) -> dict[str, dict[str, int]]:
    """Per labeler the ORIGINAL option chosen for each question (0 is right), driven by an ability so
    the statistics are not all near zero; q5 is answered right mostly by weak labelers (negative r)."""
    rng = np.random.default_rng(seed)
    found = {}
    for index, user in enumerate(USERS):
        ability = (index % 7) / 3 - 1
        chosen = {}
        for j, qid in enumerate(QUESTIONS):
            chance = 1 / (1 + np.exp(-(ability - (j - 2) * 0.5) * 2))
            if qid == "q5":
                chance = 1 - chance
            chosen[qid] = 0 if rng.random() < chance else int(rng.integers(1, 4))
        found[user] = chosen
    return found


async def take(db: Database, user: str, chosen: dict[str, int], at: datetime, seed: int) -> None:
    step = await attempts.start(db, user, TOPIC, at, rng=random.Random(seed))
    minute = 0
    while step is not None:
        minute += 1
        shown = step.order.index(chosen[step.question.id])  # the button for that original option
        done = await attempts.answer(
            db, step.attempt_id, step.position, user, Answer(chosen=(shown,)), at + timedelta(minutes=minute)
        )
        assert done.outcome == "recorded"
        step = done.next_step


async def seeded(db: Database) -> dict[str, dict[str, int]]:
    """Everyone's first attempt; then a perfect retake, an unfinished attempt, and one before `since`."""
    await store.import_bank(db, bank(), NOW - timedelta(days=30))
    answers = scripts()
    for index, user in enumerate(USERS):
        await take(db, user, answers[user], NOW + timedelta(hours=index), seed=index)
    await take(db, USERS[0], dict.fromkeys(QUESTIONS, 0), NOW + timedelta(days=2), seed=99)
    await attempts.start(db, USERS[1], TOPIC, NOW + timedelta(days=3), rng=random.Random(3))
    await take(db, "U0OLDTIME1", dict.fromkeys(QUESTIONS, 1), NOW - timedelta(days=20), seed=5)
    return answers


async def lookup(users: list[str]) -> dict[str, report.Where]:
    return {u: WHERE.get(u, (None, None)) for u in users}
