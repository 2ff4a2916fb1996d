"""What the quiz benchmark checks after a run: every answer recorded exactly once in the database,
and every message of the bot's sent exactly once to the Slack fake."""

from __future__ import annotations

from sqlalchemy import func, select

from benchmarks.quiz_arrivals import Arrivals
from storage.engine import Database
from storage.models import QuizAnswer, QuizAttempt

QUESTIONS = 5


async def check_database(url: str, expected: int) -> tuple[bool, str]:
    """Exactly one answer per (attempt, position), QUESTIONS per attempt, and every attempt finished."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    select(
                        QuizAnswer.attempt_id,
                        func.count(),
                        func.count(func.distinct(QuizAnswer.position)),
                        func.min(QuizAnswer.position),
                        func.max(QuizAnswer.position),
                    ).group_by(QuizAnswer.attempt_id)
                )
            ).all()
            started = (await session.execute(select(func.count()).select_from(QuizAttempt))).scalar_one()
            finished = (
                await session.execute(
                    select(func.count()).select_from(QuizAttempt).where(QuizAttempt.finished_at.is_not(None))
                )
            ).scalar_one()
    finally:
        await db.dispose()
    whole = (QUESTIONS, QUESTIONS, 0, QUESTIONS - 1)
    complete = sum(1 for row in rows if tuple(row[1:]) == whole)
    doubled = sum(1 for row in rows if row[1] > row[2])
    answers = sum(row[1] for row in rows)
    ok = started == expected and complete == expected and finished == expected and doubled == 0
    detail = (
        f"{started} attempts, {complete} with exactly {QUESTIONS} answers at positions 0-{QUESTIONS - 1}, "
        f"{finished} finished, {answers} answer rows, {doubled} attempts with a doubled position"
    )
    return ok, detail


def check_side_effects(arrivals: Arrivals, users: list[str], duplicates: int) -> tuple[bool, str]:
    """The bot's messages once: one verdict per question message, one next message per answer."""
    dms = {"D" + user[1:] for user in users}
    updates = [len(v) for k, v in arrivals.seen.items() if k[0] == "update" and k[1] in dms]
    posts = [len(arrivals.seen[("post", dm)]) for dm in dms]
    said = [str(call.args.get("text", "")) for call in arrivals.responses]
    # The loser of a double click hears "already answered", or "finished" when the winner was the last answer.
    expected = ("already answered", "quiz is finished")
    replies = sum(any(e in line for e in expected) for line in said)
    other = sorted({line[:80] for line in said if not any(e in line for e in expected)})
    ok = (
        len(updates) == len(users) * QUESTIONS
        and set(updates) == {1}
        and set(posts) == {QUESTIONS}
        and replies == duplicates
        and not other
    )
    detail = (
        f"{sum(updates)} verdict updates on {len(updates)} question messages (max {max(updates, default=0)} "
        f"per message), next messages per labeler {min(posts, default=0)}-{max(posts, default=0)}; "
        f"{replies} of {duplicates} duplicate clicks (warm-up included) told it was already answered"
        + (f"; other answers: {other}" if other else "")
    )
    return ok, detail
