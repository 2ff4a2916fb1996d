"""Question banks: the questions every importer produces (YAML, GIFT, Aiken, CSV) and how an answer
is scored.

One model for every format keeps scoring, storage and analysis in one place. Weights follow Moodle:
a choice's weight is the share of the question's credit it earns, -1.0 to 1.0; the score of an
answer is clamped to 0..1, and an answer is *right* when it earns full credit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

QuestionType = Literal["single", "multiple", "truefalse", "short", "numeric", "matching"]
QUESTION_TYPES: tuple[QuestionType, ...] = ("single", "multiple", "truefalse", "short", "numeric", "matching")
TextFormat = Literal["moodle", "markdown", "html", "plain"]
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
FULL = 1.0 - 1e-9
POLICY_REF = re.compile(r"[a-z0-9][a-z0-9_-]*(#[A-Za-z0-9_.-]+)?")


@dataclass(frozen=True)
class Choice:
    """An option of a single/multiple/true-false question, or an accepted short answer.
    `weight`: the share of credit it earns (1.0 right, 0 wrong, negative to penalise a guess)."""

    text: str
    weight: float = 0.0
    feedback: str = ""

    @property
    def right(self) -> bool:
        return self.weight >= FULL


@dataclass(frozen=True)
class NumericAnswer:
    """Accepted when the number is within `tolerance` of `value` (a range a..b is its middle ± half)."""

    value: float
    tolerance: float = 0.0
    weight: float = 1.0
    feedback: str = ""

    def accepts(self, number: float) -> bool:
        return abs(number - self.value) <= self.tolerance + 1e-9 * max(1.0, abs(self.value))


@dataclass(frozen=True)
class Pair:
    """One item of a matching question and the answer it goes with."""

    item: str
    match: str


@dataclass(frozen=True)
class Question:
    """One question. `choices` hold the options (single, multiple, truefalse: "True" then "False")
    or the accepted answers (short); `numeric` and `pairs` the rest. `explanation` is shown after
    every answer (GIFT's general feedback); `policy` points at `policy_id#section`."""

    id: str
    type: QuestionType
    text: str
    title: str = ""
    choices: tuple[Choice, ...] = ()
    numeric: tuple[NumericAnswer, ...] = ()
    pairs: tuple[Pair, ...] = ()
    explanation: str = ""
    policy: str | None = None
    tags: tuple[str, ...] = ()
    text_format: TextFormat = "moodle"
    line: int = 0  # where it starts in the file it came from (1-based; 0 when unknown)

    def right_choices(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.choices) if c.weight > 0)

    def right_answer_text(self) -> str:
        """The right answer as a person reads it, for the feedback after an answer."""
        match self.type:
            case "single" | "truefalse":
                return next((c.text for c in self.choices if c.right), "")
            case "multiple":
                return "; ".join(c.text for c in self.choices if c.weight > 0)
            case "short":
                return " / ".join(c.text for c in self.choices if c.right)
            case "numeric":
                best = max(self.numeric, key=lambda a: a.weight)
                return _number(best.value) + (f" ± {_number(best.tolerance)}" if best.tolerance else "")
            case "matching":
                return "; ".join(f"{p.item} → {p.match}" for p in self.pairs)
        return ""


@dataclass(frozen=True)
class Answer:
    """What a person answered: chosen option indexes, a typed text, or one match per item."""

    chosen: tuple[int, ...] = ()
    text: str = ""
    matches: tuple[str, ...] = ()


@dataclass(frozen=True)
class Score:
    credit: float  # 0..1
    right: bool
    feedback: str = ""  # the feedback of what was chosen or typed, if the bank has one


def score(question: Question, answer: Answer) -> Score:
    """Credit for an answer, clamped to 0..1; right only with full credit."""
    match question.type:
        case "single" | "truefalse":
            picked = [question.choices[i] for i in answer.chosen[:1] if 0 <= i < len(question.choices)]
            credit = picked[0].weight if picked else 0.0
            feedback = picked[0].feedback if picked else ""
        case "multiple":
            valid = sorted(i for i in set(answer.chosen) if 0 <= i < len(question.choices))
            picked = [question.choices[i] for i in valid]
            credit = sum(c.weight for c in picked)
            feedback = "\n".join(c.feedback for c in picked if c.feedback)
        case "short":
            typed = _normalise(answer.text)
            found = [c for c in question.choices if _normalise(c.text) == typed]
            best = max(found, key=lambda c: c.weight, default=None)
            credit, feedback = (best.weight, best.feedback) if best else (0.0, "")
        case "numeric":
            number = parse_number(answer.text)
            hits = [a for a in question.numeric if number is not None and a.accepts(number)]
            best_hit = max(hits, key=lambda a: a.weight, default=None)
            credit, feedback = (best_hit.weight, best_hit.feedback) if best_hit else (0.0, "")
        case "matching":
            pairs = question.pairs
            hits = sum(1 for p, m in zip(pairs, answer.matches, strict=False) if p.match == m)
            credit, feedback = (hits / len(pairs) if pairs else 0.0), ""
        case _:
            raise ValueError(f"unknown question type {question.type!r}")
    credit = min(1.0, max(0.0, credit))
    return Score(credit, credit >= FULL, feedback)


def parse_number(text: str) -> float | None:
    """A typed number: `1822`, `3.14`, `-2`, `1,5` (decimal comma), `1 000`; None when not a number."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _normalise(text: str) -> str:
    """Short answers compare as Moodle does by default: case and surrounding spaces ignored."""
    return " ".join(text.split()).casefold()


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Topic:
    """A quiz: its questions, the share of credit that passes, and an optional time limit."""

    id: str
    title: str
    questions: tuple[Question, ...] = ()
    pass_mark: float = 0.8
    time_limit_seconds: int | None = None


@dataclass(frozen=True)
class Skipped:
    """A question the importer could not take, with where and why; the rest of the file is kept."""

    line: int
    reason: str
    title: str = ""


@dataclass
class ImportedBank:
    """What a file holds: questions per topic id (GIFT's `$CATEGORY:` or the `--topic` given), and
    the questions skipped. A file that cannot be read at all raises BankError instead."""

    topics: dict[str, list[Question]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    pass_marks: dict[str, float] = field(default_factory=dict)
    time_limits: dict[str, int | None] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)

    def add(self, topic: str, question: Question) -> None:
        self.topics.setdefault(topic, []).append(question)


class BankError(Exception):
    """The file cannot be parsed; nothing from it is stored. `problems` say where (line) and why."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def check(question: Question) -> str | None:
    """What makes a question unusable, or None. Importers skip such a question with this reason."""
    if not ID.match(question.id):
        return f"the id {question.id!r} is not usable (letters, digits, _ . : - ; up to 64)"
    if not question.text.strip():
        return "the question has no text"
    match question.type:
        case "single" | "truefalse":
            if len(question.choices) < 2:
                return "a choice question needs at least two options"
            if not any(c.right for c in question.choices):
                return "no option is marked right (= or 100%)"
        case "multiple":
            if len(question.choices) < 2:
                return "a multiple-answer question needs at least two options"
            if sum(c.weight for c in question.choices if c.weight > 0) < FULL:
                return "the positive weights of a multiple-answer question add up to less than 100%"
        case "short":
            if not any(c.right for c in question.choices):
                return "a short-answer question needs at least one fully right answer"
        case "numeric":
            if not question.numeric or max(a.weight for a in question.numeric) < FULL:
                return "a numeric question needs at least one fully right number"
        case "matching":
            if len(question.pairs) < 2:
                return "a matching question needs at least two pairs"
        case _:
            return f"unknown question type {question.type!r}"
    if question.policy is not None and not POLICY_REF.fullmatch(question.policy):
        return f"the policy reference {question.policy!r} is not `policy_id#section`"
    return None


def slug(text: str, fallback: str = "q") -> str:
    """An id from a title or category: `Hate speech / slurs` → `hate-speech-slurs`."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return cleaned[:64] or fallback
