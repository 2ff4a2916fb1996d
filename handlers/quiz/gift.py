"""Moodle GIFT question banks into the one bank model (`bank.py`), as Moodle's own importer reads them.

The syntax is Moodle's documented one: questions separated by blank lines, `//` comment lines,
`::title::`, an answer block `{…}` (in the middle for "missing word" questions), `=`/`~` options
with `%weight%` and `#feedback`, `####` general feedback, `{T}`/`{F}`, `{#…}` numbers,
`{=a -> b}` matching, `$CATEGORY:` lines, the escapes `\\ \\~ \\= \\# \\{ \\} \\: \\n` and the
`[moodle]`/`[html]`/`[markdown]`/`[plain]` format prefixes.

Comment lines right before a question may carry, in any order and several per line:
`[id:spam-001]` (the question's id), `[tag:spam]` (one tag each, repeatable) and, our extension,
`[policy:hate-speech#slurs]`: the policy section the question checks (`policy_id#section`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from handlers.quiz.bank import (
    BankError,
    Choice,
    ImportedBank,
    NumericAnswer,
    Pair,
    Question,
    QuestionType,
    Skipped,
    TextFormat,
    check,
    parse_number,
    slug,
)

# Escaped characters become private-use placeholders first, so `\~` can never split an answer;
# they turn back into the characters once the structure is read.
_ESCAPES = {"\\": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003", "{": "\ue004", "}": "\ue005"}
_ESCAPES |= {":": "\ue006", "n": "\ue007"}
_RESTORE = {mark: ("\n" if char == "n" else char) for char, mark in _ESCAPES.items()}
_FORMAT = re.compile(r"\[(moodle|html|markdown|plain)\]")
_META = re.compile(r"\[(id|tag|policy):([^\]]*)\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_DESCRIPTION = "a description, not a question"


class _Skip(Exception):
    """A question that is GIFT but that the bank cannot take; the message is the reason."""


@dataclass
class _Block:
    """The lines between blank lines: comment lines before the question, then its own lines."""

    comments: list[str] = field(default_factory=list)
    lines: list[tuple[int, str]] = field(default_factory=list)  # (1-based line, protected text)


@dataclass(frozen=True)
class _Answer:
    """One answer of a block as written: its marker (`=`, `~` or none), weight, text and feedback."""

    marker: str
    weight: float | None
    text: str
    feedback: str


def parse_gift(text: str, *, topic: str | None = None, source: str = "") -> ImportedBank:
    """Every question of a GIFT file, by topic; BankError (with lines) when the file is not GIFT."""
    blocks, problems = _split_blocks(text)
    where = f"{source}: " if source else ""
    if problems:
        raise BankError([where + p for p in problems])
    if not any("{" in line for block in blocks for _, line in block.lines):
        raise BankError([f"{where}line 1: no GIFT question found (a question needs an answer block {{…}})"])
    bank = ImportedBank()
    seen: dict[str, int] = {}  # id → the line of the question that has it
    category: str | None = None
    for block in blocks:
        lines = block.lines
        if lines and lines[0][1].strip().startswith("$CATEGORY:"):
            category = _restore(lines[0][1].strip().removeprefix("$CATEGORY:").strip()) or None
            lines = lines[1:]
        if not lines:
            continue
        line = lines[0][0]
        try:
            question = _question(block.comments, lines)
        except _Skip as why:
            bank.skipped.append(Skipped(line, str(why), _title_of(lines)))
            continue
        reason = check(question)
        if reason is None and question.id in seen:
            reason = f"the id {question.id!r} is already used by the question on line {seen[question.id]}"
        if reason is not None:
            bank.skipped.append(Skipped(line, reason, question.title))
            continue
        seen[question.id] = line
        category_topic = _topic_of(category)
        topic_id = category_topic or topic or "default"
        if category and category_topic:
            bank.titles.setdefault(topic_id, category)
        bank.add(topic_id, question)
    return bank


def _split_blocks(text: str) -> tuple[list[_Block], list[str]]:
    """Blocks of lines, and any brace that is not balanced. A blank line inside `{…}` does not
    end the question, so a `{` left open is reported where it was opened."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks, problems, block = [], [], _Block()
    open_line = 0  # the line of the `{` still open, 0 when none is
    for number, raw in enumerate(text.split("\n"), start=1):
        line = _protect(raw)
        stripped = line.strip()
        if not stripped and not open_line:
            blocks.append(block)
            block = _Block()
        elif stripped.startswith("//"):
            if not block.lines:
                block.comments.append(stripped)
        elif stripped:
            block.lines.append((number, line))
            open_line = _scan_braces(line, number, open_line, problems)
    blocks.append(block)
    if open_line:
        problems.append(f"line {open_line}: the {{ opened here is never closed by a }}")
    return [b for b in blocks if b.lines], problems


def _scan_braces(line: str, number: int, open_line: int, problems: list[str]) -> int:
    """Follow `{` and `}` along one line; GIFT answer blocks do not nest."""
    for char in line:
        if char == "{" and open_line:
            problems.append(f"line {number}: a {{ while the one of line {open_line} is open (a missing }}?)")
        elif char == "{":
            open_line = number
        elif char == "}" and not open_line:
            problems.append(f"line {number}: a }} with no {{ before it (write \\}} for a brace)")
        elif char == "}":
            open_line = 0
    return open_line


def _protect(line: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), line)


def _restore(text: str) -> str:
    return "".join(_RESTORE.get(char, char) for char in text)


def _question(comments: list[str], lines: list[tuple[int, str]]) -> Question:
    """One question from its lines; raises _Skip for what the bank cannot take."""
    line = lines[0][0]
    text = "\n".join(part.strip() for _, part in lines)
    title, text = _take_title(text)
    if "{" not in text:
        raise _Skip(_DESCRIPTION)
    if text.count("{") > 1:
        raise _Skip("more than one answer block {…} in a question (embedded answers are not supported)")
    before, rest = text.split("{", 1)
    body, after = rest.split("}", 1)
    stem = before + "_____" + after if after.strip() else before
    text_format, stem = _take_format(stem.strip())
    body, explanation = _take_general_feedback(body.strip())
    qtype, parts = _answers(body)
    meta = _meta(comments)
    return Question(
        id=meta.get("id") or slug(title, fallback=f"q{line}"),
        type=qtype,
        text=_restore(stem).strip(),
        title=title,
        explanation=explanation,
        policy=meta.get("policy"),
        tags=tuple(meta.get("tags", ())),
        text_format=text_format,
        line=line,
        **parts,
    )


def _topic_of(category: str | None) -> str | None:
    """`$course$/top/Policy/Hate speech` → `hate-speech`: the last part names the topic."""
    parts = [part.strip() for part in (category or "").split("/") if part.strip()]
    return (slug(parts[-1], fallback="") or None) if parts else None


def _take_title(text: str) -> tuple[str, str]:
    """`::title::` in front; without the closing `::` it is text, as in Moodle."""
    if not text.startswith("::") or "::" not in text[2:]:
        return "", text
    title, rest = text[2:].split("::", 1)
    return _restore(title).strip(), rest.strip()


def _take_format(text: str) -> tuple[TextFormat, str]:
    found = _FORMAT.match(text)
    if not found:
        return "moodle", text
    return found.group(1), text[found.end() :].strip()  # type: ignore[return-value]


def _clean(text: str) -> str:
    """An answer, feedback or item: its format prefix dropped (the question's applies), escapes resolved."""
    return _restore(_take_format(text.strip())[1]).strip()


def _take_general_feedback(body: str) -> tuple[str, str]:
    if "####" not in body:
        return body, ""
    body, general = body.rsplit("####", 1)
    return body.strip(), _clean(general)


def _meta(comments: list[str]) -> dict:
    meta: dict = {"tags": []}
    for comment in comments:
        for key, value in _META.findall(comment):
            value = _restore(value).strip()
            if key == "tag":
                meta["tags"].append(value)
            elif value:
                meta[key] = value
    return meta


def _title_of(lines: list[tuple[int, str]]) -> str:
    return _take_title("\n".join(part.strip() for _, part in lines))[0]


# ----- the answer block -----


def _answers(body: str) -> tuple[QuestionType, dict]:
    """The type, as Moodle decides it from the block, and the Question fields that hold the answers."""
    if not body:
        raise _Skip("an essay question (free text) cannot be scored automatically")
    if body.startswith("#"):
        return "numeric", {"numeric": _numeric(body[1:])}
    if "~" in body:
        return _choices(_split(body, "~="))
    if "=" in body and "->" in body:
        return "matching", {"pairs": _pairs(_split(body, "="))}
    answer, _, _ = body.partition("#")
    if answer.strip().upper() in _TRUE_FALSE:
        return "truefalse", {"choices": _true_false(body)}
    answers = _split(body, "=")
    return "short", {"choices": tuple(Choice(_clean(a.text), _weight(a, 1.0), a.feedback) for a in answers)}


def _split(body: str, markers: str) -> list[_Answer]:
    """Answers start at each marker; text before the first marker is an answer without one."""
    pieces: list[tuple[str, str]] = [("", "")]
    for char in body:
        if char in markers:
            pieces.append((char, ""))
        else:
            pieces[-1] = (pieces[-1][0], pieces[-1][1] + char)
    return [_answer(marker, raw) for marker, raw in pieces if marker or raw.strip()]


def _answer(marker: str, raw: str) -> _Answer:
    raw = raw.strip()
    weight = None
    if raw.startswith("%") and "%" in raw[1:]:
        written, rest = raw[1:].split("%", 1)
        number = parse_number(written)
        if number is not None:
            weight, raw = _fraction(number, written), rest
    text, _, feedback = raw.partition("#")
    return _Answer(marker, weight, text, _clean(feedback))


def _fraction(percent: float, written: str) -> float:
    """A weight as a share of credit; Moodle writes thirds as 33.33333%, so such a weight is 1/3."""
    if not -100 <= percent <= 100:
        raise _Skip(f"the weight {written}% is outside -100%..100%")
    share = percent / 100
    near = Fraction(share).limit_denominator(20)
    return float(near) if abs(float(near) - share) < 1e-6 else share


def _weight(answer: _Answer, default: float) -> float:
    return default if answer.weight is None else answer.weight


def _choices(answers: list[_Answer]) -> tuple[QuestionType, dict]:
    """`=` is full credit unless weighted, `~` none unless weighted. With a fully right `=` option
    it is a single-answer question; otherwise the weights add up (multiple answers)."""
    choices = tuple(
        Choice(_clean(a.text), _weight(a, 1.0 if a.marker == "=" else 0.0), a.feedback) for a in answers
    )
    single = any(a.marker == "=" and c.right for a, c in zip(answers, choices, strict=True))
    return ("single" if single else "multiple"), {"choices": choices}


def _true_false(body: str) -> tuple[Choice, Choice]:
    """`{T#shown when wrong#shown when right}`: each feedback goes on the choice that triggers it."""
    answer, wrong, right = [*body.split("#", 2), "", ""][:3]
    truth = _TRUE_FALSE[answer.strip().upper()]
    return (
        Choice("True", 1.0 if truth else 0.0, _clean(right if truth else wrong)),
        Choice("False", 0.0 if truth else 1.0, _clean(wrong if truth else right)),
    )


def _pairs(answers: list[_Answer]) -> tuple[Pair, ...]:
    pairs = []
    for answer in answers:
        # `#` has no meaning in matching: it was split off as feedback, so put it back.
        written = answer.text + ("#" + answer.feedback if answer.feedback else "")
        if "->" not in written:
            raise _Skip(f"the matching answer {_clean(written)!r} has no ->")
        item, match = written.split("->", 1)
        if not item.strip():
            raise _Skip("matching answers without an item (extra distractors) are not supported")
        pairs.append(Pair(_clean(item), _clean(match)))
    return tuple(pairs)


def _numeric(body: str) -> tuple[NumericAnswer, ...]:
    """`1822`, `3.14:0.01`, `1..2`, or `=` answers with weights; a `~#feedback` catches any other number."""
    body, tilde, wrong = body.partition("~")
    answers = [_number(a) for a in _split(body, "=")]
    if not answers:
        raise _Skip("a numeric question {#…} with no number")
    if tilde:
        # Moodle's "any other answer": weight 0, so a real hit always scores higher.
        answers.append(NumericAnswer(0.0, math.inf, 0.0, _clean(wrong.partition("#")[2])))
    return tuple(answers)


def _number(answer: _Answer) -> NumericAnswer:
    written = _restore(answer.text).strip()
    if ".." in written[1:]:
        low, high = (_float(part) for part in written.split("..", 1))
        value, tolerance = (low + high) / 2, abs(high - low) / 2
    elif ":" in written:
        number, margin = written.split(":", 1)
        value, tolerance = _float(number), abs(_float(margin))
    else:
        value, tolerance = _float(written), 0.0
    return NumericAnswer(value, tolerance, _weight(answer, 1.0), answer.feedback)


def _float(written: str) -> float:
    number = parse_number(written)
    if number is None:
        raise _Skip(f"{written.strip()!r} is not a number")
    return number
