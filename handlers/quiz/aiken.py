"""Aiken question banks (Moodle's plain single-answer format), for trainers who already keep them.

```
Which report goes to the spam queue?
A) A post repeating the same link in many groups
B. A post asking a question about the rules
ANSWER: A
```
The question's lines, then options lettered A, B, C … in order (`A)` or `A.`), then `ANSWER: <letter>`.
Blank lines are optional. Each question's id is `aiken-<line of its first line>`; a malformed one is
skipped with its line and reason, and the rest of the file is kept.
"""

from __future__ import annotations

import re
import string

from handlers.quiz.bank import BankError, Choice, ImportedBank, Question
from handlers.quiz.intake import Intake, QuestionError, choice_weights, problem

OPTION = re.compile(r"([A-Z])[.)]\s+(\S.*)")
ANSWER = re.compile(r"ANSWER\s*:\s*(.*)")


def parse_aiken(text: str, *, topic: str | None, source: str = "") -> ImportedBank:
    """Every question of an Aiken file, in `topic` (Aiken has no topics of its own)."""
    if not topic:
        raise BankError([problem(source, 1, "an Aiken file names no topic: import it with --topic")])
    intake = Intake()
    start, lines, options = 0, list[str](), list[tuple[str, str]]()
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = raw.strip()
        answer, option = ANSWER.fullmatch(line), OPTION.fullmatch(line)
        if not line:
            continue
        if answer:
            try:
                intake.keep(topic, _question(start or number, lines, options, answer.group(1).strip()))
            except QuestionError as error:
                intake.skip(error.line, error.reason)
            start, lines, options = 0, [], []
        elif option and lines:
            options.append((option.group(1), option.group(2).strip()))
        else:
            if options:  # question text after options: the question before had no ANSWER line
                intake.skip(start, "no `ANSWER:` line after the options")
                start, lines, options = 0, [], []
            start = start or number
            lines.append(line)
    if lines:
        intake.skip(start, "no `ANSWER:` line after the options" if options else "a question with no options")
    return intake.bank


def _question(line: int, lines: list[str], options: list[tuple[str, str]], letter: str) -> Question:
    if not lines:
        raise QuestionError(line, "`ANSWER:` with no question before it")
    if len(options) < 2:
        raise QuestionError(line, "a question needs at least two options, A) and B)")
    letters = "".join(letter for letter, _ in options)
    if letters != string.ascii_uppercase[: len(options)]:
        raise QuestionError(line, f"options are lettered A, B, C … in order, not {', '.join(letters)}")
    if len(letter) != 1 or letter.upper() not in letters:
        raise QuestionError(line, f"`ANSWER: {letter}` is not one of the options {letters[0]}–{letters[-1]}")
    weights = choice_weights(len(options), [letters.index(letter.upper())], multiple=False, line=line)
    return Question(
        id=f"aiken-{line}",
        type="single",
        text="\n".join(lines),
        choices=tuple(Choice(text, weight) for (_, text), weight in zip(options, weights, strict=True)),
        text_format="plain",
        line=line,
    )
