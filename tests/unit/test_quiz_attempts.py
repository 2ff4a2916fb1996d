"""Attempts on a real database: shuffled once, each answer recorded once, the deadline kept by the
server, results against the pass mark, new versions leave old attempts alone."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from handlers.quiz import attempts, store
from handlers.quiz.bank import Answer, Choice, ImportedBank, NumericAnswer, Question
from storage.engine import Database

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LEE = "U0LABEL01"


def bank(text_suffix: str = "", time_limit: int | None = None) -> ImportedBank:
    imported = ImportedBank()
    imported.titles["spam"] = "Spam basics"
    imported.pass_marks["spam"] = 0.6
    imported.time_limits["spam"] = time_limit
    imported.add(
        "spam",
        Question(
            "links",
            "single",
            "Which link pattern is spam?" + text_suffix,
            choices=(Choice("A shortened link repeated in 50 posts", 1.0), Choice("A news link", 0.0)),
            explanation="Repetition at scale is the signal.",
            policy="spam#links",
        ),
    )
    imported.add(
        "spam", Question("count", "numeric", "How many posts make a burst?", numeric=(NumericAnswer(20, 2),))
    )
    imported.add(
        "spam",
        Question(
            "signals",
            "multiple",
            "Which are spam signals?",
            choices=(Choice("Repeated text", 0.5), Choice("Many links", 0.5), Choice("A typo", -1.0)),
        ),
    )
    return imported


def displayed(step: attempts.Step, original: int) -> int:
    """The button a person presses for the question's option `original`."""
    return step.order.index(original)


async def take_all(db: Database, user: str = LEE) -> attempts.Answered:
    step = await attempts.start(db, user, "spam", NOW, rng=random.Random(7))
    last = None
    while step is not None:
        q = step.question
        if q.type == "single":
            given = Answer(chosen=(displayed(step, 0),))
        elif q.type == "numeric":
            given = Answer(text="21")
        else:
            given = Answer(chosen=(displayed(step, 0), displayed(step, 1)))
        last = await attempts.answer(db, step.attempt_id, step.position, user, given, NOW)
        assert last.outcome == "recorded" and last.score and last.score.right
        step = last.next_step
    return last


async def test_an_import_is_versioned_and_unchanged_content_is_skipped(db: Database) -> None:
    first = await store.import_bank(db, bank(), NOW)
    assert (first.count("imported"), first.count("updated"), first.count("skipped")) == (3, 0, 0)
    again = await store.import_bank(db, bank(), NOW)
    assert again.count("skipped") == 3 and all("unchanged" in line.reason for line in again.lines)
    changed = await store.import_bank(db, bank(" (edited)"), NOW)
    assert changed.count("updated") == 1
    assert next(line for line in changed.lines if line.status == "updated").version == 2


async def test_a_full_attempt_passes_and_the_result_is_stable(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    last = await take_all(db)
    assert last.result is not None and last.result.passed and last.result.right == 3
    assert (await attempts.open_attempt(db, LEE)) is None


async def test_double_clicks_and_stale_buttons_record_once(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    step = await attempts.start(db, LEE, "spam", NOW, rng=random.Random(1))
    click = Answer(chosen=(0,))
    results = await asyncio.gather(
        *(attempts.answer(db, step.attempt_id, step.position, LEE, click, NOW) for _ in range(5))
    )
    assert sorted(r.outcome for r in results).count("recorded") == 1
    again = await attempts.answer(db, step.attempt_id, 0, LEE, click, NOW)
    assert again.outcome == "already_answered"
    ahead = await attempts.answer(db, step.attempt_id, 2, LEE, click, NOW)
    assert ahead.outcome == "not_yet"
    stranger = await attempts.answer(db, step.attempt_id, 1, "U0OTHER1", click, NOW)
    assert stranger.outcome == "not_yours"
    resumed = await attempts.start(db, LEE, "spam", NOW)  # /quiz spam again: the same attempt, next question
    assert resumed.attempt_id == step.attempt_id and resumed.position == 1


async def test_the_deadline_is_kept_by_the_server(db: Database) -> None:
    await store.import_bank(db, bank(time_limit=60), NOW)
    step = await attempts.start(db, LEE, "spam", NOW)
    late = await attempts.answer(
        db, step.attempt_id, 0, LEE, Answer(chosen=(0,)), NOW + timedelta(seconds=61)
    )
    assert late.outcome == "time_up" and late.result is not None and late.result.credit == 0
    assert not late.result.passed and len(late.result.missed) == 3


async def test_a_wrong_answer_is_recorded_with_what_to_revisit(db: Database) -> None:
    await store.import_bank(db, bank(), NOW)
    step = await attempts.start(db, LEE, "spam", NOW, count=1, rng=random.Random(3))
    q = step.question
    wrong = Answer(text="5") if q.type == "numeric" else Answer(chosen=(displayed(step, len(q.choices) - 1),))
    done = await attempts.answer(db, step.attempt_id, 0, LEE, wrong, NOW)
    assert done.outcome == "recorded" and done.score and not done.score.right
    assert done.result is not None and done.result.total == 1 and done.result.missed == (q,)


async def test_an_expired_attempt_is_closed_once_and_a_late_click_does_not_close_it_again(
    db: Database,
) -> None:
    await store.import_bank(db, bank(time_limit=60), NOW)
    step = await attempts.start(db, LEE, "spam", NOW)
    assert await attempts.close_expired(db, step.attempt_id, NOW + timedelta(seconds=30)) is None  # not yet
    later = NOW + timedelta(seconds=61)
    closers = await asyncio.gather(*(attempts.close_expired(db, step.attempt_id, later) for _ in range(3)))
    closed = [c for c in closers if c is not None]
    assert len(closed) == 1 and closed[0].outcome == "time_up" and closed[0].result.credit == 0
    late = await attempts.answer(db, step.attempt_id, 0, LEE, Answer(chosen=(0,)), later)
    assert late.outcome == "finished"
