"""The native question-bank format: YAML a trainer writes by hand, read here (native_export.py writes
the same YAML back).

```yaml
topic: spam-basics          # the topic's id (or pass --topic when the file has none)
title: Spam policy basics
pass_mark: 0.8              # share of the credit that passes, 0..1 (default 0.8)
time_limit: 600             # seconds for the whole attempt, optional
questions:
  - id: links-1             # required: a new version of a question keeps its id
    type: single            # single | multiple | truefalse | short | numeric | matching
    text: Which post breaks the link rule?
    options: [A shortened link to a known phishing page, A link to a news article]
    correct: 0              # counting from 0: the first option (multiple: a list, [0, 2])
    feedback: [Right, the target hides behind the shortener, News links are allowed]  # per option
    explanation: Shortened links that hide a phishing page are spam.
    policy: spam#links      # policy_id#section
    tags: [links]
```
Other answers per type: `weights: [1, 0, -0.5]` instead of `correct` (Moodle weights, -1..1);
truefalse `answer: true` (feedback: [if True, if False]); short `answers: [a, b]` (an entry may be
`{text, weight, feedback}`); numeric `number: 1822` with `tolerance: 0.5`, or
`numbers: [{value, tolerance, weight, feedback}]`; matching `pairs: [[item, match], …]`.
Optional `title` and `format` (plain, markdown, html, moodle; default plain).

`correct` for a multiple question splits the credit evenly over the right options and gives every
other option -1, so a wrong tick loses the question. Text is read as written (`Yes`, `No`, `1822`
stay text, never booleans or numbers). Anchors and aliases are refused.

A file that is not YAML, a problem at the top level, or no `questions` list: BankError. A question
with an unknown key, a value of the wrong kind, or failing `bank.check`: skipped with line and reason.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

from handlers.quiz.bank import (
    ID,
    QUESTION_TYPES,
    BankError,
    Choice,
    ImportedBank,
    NumericAnswer,
    Pair,
    Question,
    QuestionType,
    TextFormat,
    Topic,
)
from handlers.quiz.intake import Intake, QuestionError, choice_weights, problem

TOP_KEYS = ("topic", "title", "pass_mark", "time_limit", "questions")
COMMON_KEYS = ("id", "type", "title", "format", "text", "explanation", "policy", "tags")
TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "single": ("options", "correct", "weights", "feedback"),
    "multiple": ("options", "correct", "weights", "feedback"),
    "truefalse": ("answer", "feedback"),
    "short": ("answers",),
    "numeric": ("number", "tolerance", "numbers"),
    "matching": ("pairs",),
}
QUESTION_KEYS = tuple(dict.fromkeys(COMMON_KEYS + sum(TYPE_KEYS.values(), ())))
FORMATS: tuple[TextFormat, ...] = ("plain", "markdown", "html", "moodle")
_STR = "tag:yaml.org,2002:str"
_BOOLS = yaml.constructor.SafeConstructor.bool_values


class _Loader(yaml.SafeLoader):
    """Refuses aliases: a few lines of nested aliases would otherwise expand to millions of nodes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "anchors and aliases (*x) are not supported", mark)
        return super().compose_node(parent, index)


def parse_yaml(text: str, *, topic: str | None = None, source: str = "") -> ImportedBank:
    """The one topic a YAML bank file holds; BankError (with lines) when the file cannot be used."""
    root = _compose(text, source)
    try:
        fields = _fields(root, TOP_KEYS, "the file")
        file_topic = _text(fields["topic"], "topic") if "topic" in fields else ""
        if file_topic and topic and file_topic != topic:
            raise QuestionError(_line(fields["topic"]), f"the file is topic {file_topic!r}, not {topic!r}")
        topic_id = file_topic or topic or ""
        if not topic_id:
            raise QuestionError(_line(root), "no `topic:` id; add one or import with --topic")
        if not ID.match(topic_id):
            raise QuestionError(_line(fields.get("topic", root)), f"the topic id {topic_id!r} is not usable")
        questions = fields.get("questions")
        if not isinstance(questions, yaml.SequenceNode):
            where = _line(questions if questions is not None else root)
            raise QuestionError(where, "no `questions:` list")
        intake = Intake()
        intake.bank.titles[topic_id] = _text(fields["title"], "title") if "title" in fields else topic_id
        intake.bank.pass_marks[topic_id] = _pass_mark(fields.get("pass_mark"))
        intake.bank.time_limits[topic_id] = _time_limit(fields.get("time_limit"))
    except QuestionError as error:
        raise BankError([problem(source, error.line, error.reason)]) from None
    for node in questions.value:
        try:
            intake.keep(topic_id, _question(node))
        except QuestionError as error:
            intake.skip(error.line, error.reason, _id_of(node))
    return intake.bank


def _compose(text: str, source: str) -> yaml.Node:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise BankError([problem(source, line, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    except RecursionError:
        raise BankError([problem(source, 1, "not valid YAML: nested too deeply")]) from None
    if not isinstance(root, yaml.MappingNode):
        line = _line(root) if root is not None else 1
        raise BankError([problem(source, line, "expected a mapping with topic, title and questions")])
    return root


def _question(node: yaml.Node) -> Question:
    if not isinstance(node, yaml.MappingNode):
        raise QuestionError(_line(node), "a question is a mapping with id, type, text, …")
    fields = _fields(node, QUESTION_KEYS, "a question")
    for key in ("id", "type", "text"):
        if key not in fields:
            raise QuestionError(_line(node), f"the question has no `{key}`")
    kind = _text(fields["type"], "type")
    if kind not in QUESTION_TYPES:
        raise QuestionError(_line(fields["type"]), f"unknown type {kind!r} ({' | '.join(QUESTION_TYPES)})")
    for key, value in fields.items():
        if key not in COMMON_KEYS and key not in TYPE_KEYS[kind]:
            raise QuestionError(_line(value), f"`{key}` does not apply to a {kind} question")
    text_format = _text(fields["format"], "format") if "format" in fields else "plain"
    if text_format not in FORMATS:
        raise QuestionError(_line(fields["format"]), f"format is one of {', '.join(FORMATS)}")
    policy = _text(fields["policy"], "policy") if "policy" in fields else ""
    return Question(
        id=_text(fields["id"], "id"),
        type=kind,
        text=_text(fields["text"], "text"),
        title=_text(fields["title"], "title") if "title" in fields else "",
        choices=_choices(kind, fields, _line(node)),
        numeric=_numbers(fields, _line(node)) if kind == "numeric" else (),
        pairs=_pairs(fields["pairs"]) if "pairs" in fields else (),
        explanation=_text(fields["explanation"], "explanation") if "explanation" in fields else "",
        policy=policy or None,
        tags=tuple(_texts(fields["tags"], "tags")) if "tags" in fields else (),
        text_format=text_format,  # type: ignore[arg-type]
        line=_line(node),
    )


def _choices(kind: QuestionType, fields: dict[str, yaml.Node], line: int) -> tuple[Choice, ...]:
    if kind in ("single", "multiple"):
        if "options" not in fields:
            raise QuestionError(line, f"a {kind} question needs `options`")
        options = _texts(fields["options"], "options")
        if ("correct" in fields) == ("weights" in fields):
            raise QuestionError(line, "give either `correct` or `weights`")
        if "weights" in fields:
            weights = [_number(n, "weights", -1.0, 1.0) for n in _items(fields["weights"], "weights")]
            if len(weights) != len(options):
                raise QuestionError(_line(fields["weights"]), "one weight per option")
        else:
            right, where = _indexes(fields["correct"]), _line(fields["correct"])
            weights = choice_weights(len(options), right, multiple=kind == "multiple", line=where)
    elif kind == "truefalse":
        if "answer" not in fields:
            raise QuestionError(line, "a truefalse question needs `answer: true` or `answer: false`")
        truth = _bool(fields["answer"])
        options, weights = ["True", "False"], [1.0 if truth else 0.0, 0.0 if truth else 1.0]
    elif kind == "short":
        return _short(fields, line)
    else:
        return ()
    feedback = _texts(fields["feedback"], "feedback") if "feedback" in fields else [""] * len(options)
    if len(feedback) != len(options):
        raise QuestionError(_line(fields["feedback"]), "one feedback per option")
    return tuple(Choice(t, w, f) for t, w, f in zip(options, weights, feedback, strict=True))


def _short(fields: dict[str, yaml.Node], line: int) -> tuple[Choice, ...]:
    if "answers" not in fields:
        raise QuestionError(line, "a short question needs `answers`")
    answers = []
    for node in _items(fields["answers"], "answers"):
        if isinstance(node, yaml.MappingNode):
            entry = _fields(node, ("text", "weight", "feedback"), "an answer")
            if "text" not in entry:
                raise QuestionError(_line(node), "an answer needs `text`")
            weight = _number(entry["weight"], "weight", low=-1.0, high=1.0) if "weight" in entry else 1.0
            feedback = _text(entry["feedback"], "feedback") if "feedback" in entry else ""
            answers.append(Choice(_text(entry["text"], "text"), weight, feedback))
        else:
            answers.append(Choice(_text(node, "answers"), 1.0))
    return tuple(answers)


def _numbers(fields: dict[str, yaml.Node], line: int) -> tuple[NumericAnswer, ...]:
    if ("number" in fields) == ("numbers" in fields):
        raise QuestionError(line, "a numeric question needs either `number` or `numbers`")
    if "number" in fields:
        tolerance = _number(fields["tolerance"], "tolerance", low=0.0) if "tolerance" in fields else 0.0
        return (NumericAnswer(_number(fields["number"], "number"), tolerance),)
    if "tolerance" in fields:
        raise QuestionError(_line(fields["tolerance"]), "with `numbers`, each entry has its own tolerance")
    answers = []
    for node in _items(fields["numbers"], "numbers"):
        entry = _fields(node, ("value", "tolerance", "weight", "feedback"), "a number")
        if "value" not in entry:
            raise QuestionError(_line(node), "a number needs `value`")
        answers.append(
            NumericAnswer(
                value=_number(entry["value"], "value"),
                tolerance=_number(entry["tolerance"], "tolerance", low=0.0) if "tolerance" in entry else 0.0,
                weight=_number(entry["weight"], "weight", low=-1.0, high=1.0) if "weight" in entry else 1.0,
                feedback=_text(entry["feedback"], "feedback") if "feedback" in entry else "",
            )
        )
    return tuple(answers)


def _pairs(node: yaml.Node) -> tuple[Pair, ...]:
    pairs = []
    for entry in _items(node, "pairs"):
        item_match = _texts(entry, "a pair")
        if len(item_match) != 2:
            raise QuestionError(_line(entry), "a pair is [item, match]")
        pairs.append(Pair(*item_match))
    return tuple(pairs)


def _pass_mark(node: yaml.Node | None) -> float:
    if node is None:
        return Topic("x", "x").pass_mark
    mark = _number(node, "pass_mark", low=0.0)
    if mark > 1:
        raise QuestionError(_line(node), "pass_mark is a share from 0 to 1 (0.8 for 80%)")
    return mark


def _time_limit(node: yaml.Node | None) -> int | None:
    if node is None:
        return None
    seconds = _number(node, "time_limit", low=1.0)
    if seconds != int(seconds):
        raise QuestionError(_line(node), "time_limit is whole seconds")
    return int(seconds)


# ----- YAML nodes, read with their lines -----


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _fields(node: yaml.Node, allowed: tuple[str, ...], what: str) -> dict[str, yaml.Node]:
    """A mapping's values by key; an unknown key (a typo) or a key given twice is an error."""
    if not isinstance(node, yaml.MappingNode):
        raise QuestionError(_line(node), f"{what} is a mapping (key: value)")
    fields: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else ""
        if name not in allowed:
            raise QuestionError(_line(key), f"unknown key {name!r} in {what} (known: {', '.join(allowed)})")
        if name in fields:
            raise QuestionError(_line(key), f"`{name}` is given twice")
        fields[name] = value
    return fields


def _text(node: yaml.Node, what: str) -> str:
    """A scalar exactly as written: YAML 1.1 would read `No` as false and `1.10` as 1.1."""
    if not isinstance(node, yaml.ScalarNode):
        raise QuestionError(_line(node), f"`{what}` is text, not a list or mapping")
    if node.style is None and node.value in ("", "~"):
        return ""
    return node.value


def _items(node: yaml.Node, what: str) -> list[yaml.Node]:
    if not isinstance(node, yaml.SequenceNode):
        raise QuestionError(_line(node), f"`{what}` is a list ([a, b] or lines starting with -)")
    return list(node.value)


def _texts(node: yaml.Node, what: str) -> list[str]:
    return [_text(item, what) for item in _items(node, what)]


def _number(node: yaml.Node, what: str, low: float = -math.inf, high: float = math.inf) -> float:
    try:
        number = float(node.value) if isinstance(node, yaml.ScalarNode) and node.tag != _STR else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise QuestionError(_line(node), f"`{what}` is not a number")
    if not low <= number <= high:
        bounds = f"outside {low:g}..{high:g}" if math.isfinite(high) else f"below {low:g}"
        raise QuestionError(_line(node), f"`{what}` is {number:g}, {bounds}")
    return number


def _index(node: yaml.Node) -> int:
    number = _number(node, "correct", low=0.0)
    if number != int(number):
        raise QuestionError(_line(node), "`correct` is an option's position counted from 0")
    return int(number)


def _indexes(node: yaml.Node) -> list[int]:
    if isinstance(node, yaml.SequenceNode):
        return [_index(item) for item in node.value]
    return [_index(node)]


def _bool(node: yaml.Node) -> bool:
    value = node.value.lower() if isinstance(node, yaml.ScalarNode) and node.tag != _STR else ""
    if value not in _BOOLS:
        raise QuestionError(_line(node), "`answer` is true or false")
    return _BOOLS[value]


def _id_of(node: yaml.Node) -> str:
    """The id of a question that is skipped, when it has a readable one, for the import report."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "id" and isinstance(value, yaml.ScalarNode):
                return value.value
    return ""
