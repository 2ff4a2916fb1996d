"""What every question-bank importer shares (native YAML, Aiken, CSV): a question error with its line,
problems worded as a trainer reads them, and the intake that keeps usable questions and skips the rest."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.quiz.bank import ImportedBank, Question, Skipped, check


class QuestionError(Exception):
    """Why one question cannot be taken, and the line that shows it."""

    def __init__(self, line: int, reason: str):
        self.line, self.reason = line, reason
        super().__init__(f"line {line}: {reason}")


def problem(source: str, line: int, message: str) -> str:
    """A BankError problem as a trainer reads it, in the GIFT importer's form: `bank.yml: line 3: …`."""
    return f"{source}: line {line}: {message}" if source else f"line {line}: {message}"


class Intake:
    """Fills an ImportedBank: a usable question is kept, any other is skipped with its line and reason."""

    def __init__(self) -> None:
        self.bank = ImportedBank()
        self._seen: dict[tuple[str, str], int] = {}

    def keep(self, topic: str, question: Question) -> None:
        reason = check(question)
        first = self._seen.get((topic, question.id))
        if reason is None and first is not None:
            reason = f"the id {question.id!r} is already used by the question on line {first}"
        if reason is not None:
            self.skip(question.line, reason, question.title or question.id)
            return
        self._seen[(topic, question.id)] = question.line
        self.bank.add(topic, question)

    def skip(self, line: int, reason: str, title: str = "") -> None:
        self.bank.skipped.append(Skipped(line, reason, title))


def choice_weights(count: int, right: Sequence[int], *, multiple: bool, line: int) -> list[float]:
    """Weights from the right options: single 1/0; multiple 1/k each and -1 for a wrong tick."""
    if not right:
        raise QuestionError(line, "no option is marked right")
    for index in right:
        if not 0 <= index < count:
            raise QuestionError(line, f"option {index} does not exist (there are {count}, counted from 0)")
    if len(set(right)) != len(right):
        raise QuestionError(line, "an option is marked right twice")
    if not multiple and len(right) != 1:
        raise QuestionError(line, "a single-answer question has exactly one right option")
    share = 1.0 / len(right)
    return [(share if multiple else 1.0) if i in right else (-1.0 if multiple else 0.0) for i in range(count)]
