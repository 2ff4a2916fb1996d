"""CSV question banks, one question a row, for trainers who keep their questions in a spreadsheet.

The first row is the header; column names are case-insensitive and in any order; `type`, `text` and
`correct` are required, the others optional, and an unknown column (a typo) is an error:

    id,topic,type,text,option_a,option_b,option_c,option_d,option_e,option_f,correct,explanation,policy,tags

- `id`: blank → `csv-<line>`. `topic`: blank → the topic given on import.
- `type`: single | multiple | truefalse | short | numeric (matching needs YAML or GIFT).
- `correct`: letters for single/multiple (`B`, `A;C`: a multiple question splits the credit evenly
  and a wrong tick loses it); `1822` or `1822±0.5` for numeric; accepted answers `a|b` for short;
  `true` or `false` for truefalse.
- `tags`: separated by `|`. `policy`: `policy_id#section`.

Lines are the line a record starts on, so a quoted field over several lines counts them all.
"""

from __future__ import annotations

import csv
import io

from handlers.quiz.bank import (
    ID,
    QUESTION_TYPES,
    BankError,
    Choice,
    ImportedBank,
    NumericAnswer,
    Question,
    parse_number,
)
from handlers.quiz.intake import Intake, QuestionError, choice_weights, problem

LETTERS = "abcdef"
OPTIONS = tuple(f"option_{letter}" for letter in LETTERS)
COLUMNS = ("id", "topic", "type", "text", *OPTIONS, "correct", "explanation", "policy", "tags")
REQUIRED = ("type", "text", "correct")
_TRUTH = {"true": True, "t": True, "false": False, "f": False}


def parse_csv(text: str, *, topic: str | None = None, source: str = "") -> ImportedBank:
    """Every row of a CSV bank, by its topic column or `topic`; BankError when the header is wrong."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    intake, end = Intake(), 0
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        _check_header(header, source)
        end = reader.line_num
        for row in reader:
            start, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            try:
                topic_id, question = _question(start, header, row, topic)
            except QuestionError as error:
                intake.skip(error.line, error.reason, _cell(header, row, "id"))
                continue
            intake.keep(topic_id, question)
    except csv.Error as exc:
        raise BankError([problem(source, reader.line_num, f"not valid CSV: {exc}")]) from None
    return intake.bank


def _check_header(header: list[str], source: str) -> None:
    if not any(header):
        raise BankError([problem(source, 1, f"no header row; the columns are {','.join(COLUMNS)}")])
    known = ",".join(COLUMNS)
    problems = [f"unknown column {name!r} (columns: {known})" for name in header if name not in COLUMNS]
    problems += [f"the column `{name}` is there twice" for name in set(header) if header.count(name) > 1]
    problems += [f"the header has no `{name}` column" for name in REQUIRED if name not in header]
    if problems:
        raise BankError([problem(source, 1, p) for p in problems])


def _cell(header: list[str], row: list[str], name: str) -> str:
    # a spreadsheet saves a line break inside a cell as CRLF
    found = name in header and header.index(name) < len(row)
    return row[header.index(name)].replace("\r\n", "\n").strip() if found else ""


def _question(line: int, header: list[str], row: list[str], topic: str | None) -> tuple[str, Question]:
    if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
        raise QuestionError(line, f"the row has {len(row)} cells but the header {len(header)} columns")
    cell = {name: _cell(header, row, name) for name in COLUMNS}
    topic_id = cell["topic"] or topic or ""
    if not ID.match(topic_id):
        raise QuestionError(line, "no usable topic: fill the topic column or import with --topic")
    kind = cell["type"].lower()
    if kind not in QUESTION_TYPES or kind == "matching":
        kinds = "single, multiple, truefalse, short, numeric"
        raise QuestionError(line, f"type {cell['type']!r} is not one of {kinds} (matching: use YAML or GIFT)")
    options = [cell[name] for name in OPTIONS]
    while options and not options[-1]:
        options.pop()
    if kind not in ("single", "multiple") and options:
        raise QuestionError(line, f"option columns are for single and multiple questions, not {kind}")
    if "" in options:
        raise QuestionError(line, f"option_{LETTERS[options.index('')]} is empty but a later option is not")
    question = Question(
        id=cell["id"] or f"csv-{line}",
        type=kind,  # type: ignore[arg-type]
        text=cell["text"],
        choices=_choices(line, kind, options, cell["correct"]),
        numeric=(_number(line, cell["correct"]),) if kind == "numeric" else (),
        explanation=cell["explanation"],
        policy=cell["policy"] or None,
        tags=tuple(tag.strip() for tag in cell["tags"].split("|") if tag.strip()),
        text_format="plain",
        line=line,
    )
    return topic_id, question


def _choices(line: int, kind: str, options: list[str], correct: str) -> tuple[Choice, ...]:
    if kind == "truefalse":
        if correct.lower() not in _TRUTH:
            raise QuestionError(line, f"correct is true or false for a truefalse question, not {correct!r}")
        truth = _TRUTH[correct.lower()]
        return (Choice("True", 1.0 if truth else 0.0), Choice("False", 0.0 if truth else 1.0))
    if kind == "short":
        return tuple(Choice(answer.strip(), 1.0) for answer in correct.split("|") if answer.strip())
    if kind == "numeric":
        return ()
    letters = [letter.strip().lower() for letter in correct.split(";") if letter.strip()]
    wrong = [letter for letter in letters if letter not in LETTERS[: len(options)]]
    if wrong or not letters:
        raise QuestionError(line, f"correct is letters of filled options (B or A;C), not {correct!r}")
    right = [LETTERS.index(letter) for letter in letters]
    weights = choice_weights(len(options), right, multiple=kind == "multiple", line=line)
    return tuple(Choice(text, weight) for text, weight in zip(options, weights, strict=True))


def _number(line: int, correct: str) -> NumericAnswer:
    value, _, tolerance = correct.partition("±")
    number, margin = parse_number(value), parse_number(tolerance) if tolerance else 0.0
    if number is None or margin is None or margin < 0:
        raise QuestionError(line, f"correct is a number (1822 or 1822±0.5) for numeric, not {correct!r}")
    return NumericAnswer(number, margin)
