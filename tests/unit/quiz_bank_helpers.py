"""What the quiz bank format tests share: where the sample banks are, and the parsed questions and
skipped lines of a bank."""

from __future__ import annotations

from pathlib import Path

from handlers.quiz.bank import Question

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "quiz"
EXAMPLES = ROOT / "examples" / "quiz"


def questions(bank) -> dict[str, Question]:
    return {q.id: q for qs in bank.topics.values() for q in qs}


def skips(bank) -> list[tuple[int, str]]:
    return [(s.line, s.reason) for s in bank.skipped]
