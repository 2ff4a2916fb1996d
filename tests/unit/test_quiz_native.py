"""The native YAML format: every question type read, the problems that skip a question or refuse the
file, and the topic written back and exported."""

from __future__ import annotations

import dataclasses
import importlib.util

import pytest

from handlers.quiz.bank import Answer, BankError, Choice, NumericAnswer, Pair, Question, Topic, score
from handlers.quiz.formats import parse_bank
from handlers.quiz.native import QUESTION_KEYS, parse_yaml
from handlers.quiz.native_export import dump_topic, question_dict
from tests.unit.quiz_bank_helpers import EXAMPLES, FIXTURES, questions, skips

HEAD = "topic: t1\nquestions:\n"


def unlined(qs) -> list[Question]:
    return [dataclasses.replace(q, line=0) for q in qs]


def test_yaml_every_type() -> None:
    bank = parse_yaml((FIXTURES / "every-type.yml").read_text(), source="every-type.yml")
    assert bank.skipped == []
    assert (bank.titles, bank.pass_marks, bank.time_limits) == (
        {"labels-101": "Labelling basics"},
        {"labels-101": 0.75},
        {"labels-101": 300},
    )
    q = questions(bank)
    ids = "single-1 multiple-1 weights-1 truefalse-1 short-1 numeric-1 numeric-2 matching-1"
    assert list(q) == ids.split()
    assert q["single-1"] == Question(
        id="single-1",
        type="single",
        text="Which label fits a repeated link?",
        choices=(
            Choice("Spam", 1.0, "Right"),
            Choice("No", 0.0, "Not this one"),
            Choice("Yes", 0.0, "Not this one either"),
        ),
        explanation="Repeated links are spam.",
        policy="spam#links",
        tags=("links", "basics"),
        text_format="plain",
        line=7,
    )
    multiple = q["multiple-1"]
    assert (multiple.title, multiple.text, multiple.line) == (
        "Signals",
        "Which are spam signals?\nTick every one.",
        16,
    )
    assert [c.weight for c in multiple.choices] == [0.5, 0.5, -1.0]
    assert [c.weight for c in q["weights-1"].choices] == [1.0, 0.5, -0.5]
    assert q["weights-1"].text_format == "markdown"
    assert q["truefalse-1"].choices == (
        Choice("True", 1.0, "Right"),
        Choice("False", 0.0, "It is engagement bait"),
    )
    assert q["short-1"].choices == (Choice("duplicate", 1.0), Choice("repeat", 0.5, "Close"))
    assert q["numeric-1"].numeric == (NumericAnswer(5.0, 0.5),)
    assert q["numeric-2"].numeric == (NumericAnswer(10.0), NumericAnswer(10.0, 2.0, 0.5, "Close"))
    assert q["matching-1"].pairs == (
        Pair("Twenty copies of one comment", "duplicate"),
        Pair("A fake giveaway", "engagement-bait"),
    )


def test_yaml_scoring_of_parsed_questions() -> None:
    q = questions(parse_yaml((FIXTURES / "every-type.yml").read_text()))
    multiple = q["multiple-1"]
    assert score(multiple, Answer(chosen=(0, 1))).right
    assert score(multiple, Answer(chosen=(0,))).credit == 0.5
    assert score(multiple, Answer(chosen=(0, 1, 2))).credit == 0.0  # a wrong tick loses the question
    assert score(q["weights-1"], Answer(chosen=(1,))).credit == 0.5
    assert score(q["short-1"], Answer(text=" Repeat ")) == score(q["short-1"], Answer(text="repeat"))
    assert score(q["short-1"], Answer(text="repeat")).feedback == "Close"
    assert score(q["numeric-1"], Answer(text="5,4")).right
    assert not score(q["numeric-1"], Answer(text="5.6")).right
    assert score(q["numeric-2"], Answer(text="11")).credit == 0.5
    assert score(q["matching-1"], Answer(matches=("duplicate", "spam"))).credit == 0.5


def test_yaml_text_is_read_as_written() -> None:
    text = HEAD + "  - {id: q1, type: single, text: 1822, options: [Yes, No, 1.10, ~, null], correct: 0}\n"
    (q,) = questions(parse_yaml(text)).values()
    assert (q.text, [c.text for c in q.choices]) == ("1822", ["Yes", "No", "1.10", "", "null"])


SINGLE = "id: q, type: single, text: t, options: [a, b], "
QUESTION_PROBLEMS = [
    (SINGLE + "optins: [a, b], correct: 0", "unknown key 'optins' in a question"),
    (SINGLE + "answer: true", "`answer` does not apply to a single"),
    (SINGLE + "correct: 2", "option 2 does not exist (there are 2"),
    (SINGLE + "correct: [0, 1]", "a single-answer question has exactly one"),
    (SINGLE + "weights: [0, 0]", "no option is marked right"),
    (SINGLE + "weights: [1, 2]", "`weights` is 2, outside -1..1"),
    (SINGLE + "correct: 0, weights: [1, 0]", "give either `correct` or `weights`"),
    (SINGLE + "correct: 0, policy: Spam Links", "the policy reference 'Spam Links' is not"),
    (SINGLE + "correct: 0, id: r", "`id` is given twice"),
    ("id: q, type: essay, text: t", "unknown type 'essay'"),
    ("type: short, text: t, answers: [a]", "the question has no `id`"),
    ("id: q, type: truefalse, text: t, answer: maybe", "`answer` is true or false"),
    ("id: q, type: numeric, text: t, number: soon", "`number` is not a number"),
    ("id: q, type: matching, text: t, pairs: [[a, b, c], [d, e]]", "a pair is [item, match]"),
]


@pytest.mark.parametrize(("entry", "reason"), QUESTION_PROBLEMS)
def test_yaml_question_problems_skip_it_with_line_and_reason(entry: str, reason: str) -> None:
    good = "  - {id: ok, type: short, text: t, answers: [a]}\n"
    bank = parse_yaml(HEAD + "  - {" + entry + "}\n" + good)
    assert list(questions(bank)) == ["ok"]
    ((line, why),) = skips(bank)
    assert line == 3
    assert why.startswith(reason)


def test_yaml_question_that_is_not_a_mapping_is_skipped() -> None:
    assert skips(parse_yaml(HEAD + "  - [a, list]\n")) == [
        (3, "a question is a mapping with id, type, text, …")
    ]


def test_yaml_problem_in_a_block_names_the_line_of_the_key() -> None:
    text = HEAD + "  - id: q1\n    type: single\n    text: t\n    options: [a, b]\n    corect: 1\n"
    text += (
        "  - {id: q1, type: short, text: t, answers: [a]}\n  - {id: q1, type: short, text: u, answers: [b]}\n"
    )
    bank = parse_yaml(text)
    assert skips(bank) == [
        (7, f"unknown key 'corect' in a question (known: {', '.join(QUESTION_KEYS)})"),
        (9, "the id 'q1' is already used by the question on line 8"),
    ]


FILE_PROBLEMS = [
    ("topic: t1\nquestions: [\n", "x.yml: line 3: not valid YAML"),
    ("- a\n- b\n", "x.yml: line 1: expected a mapping with topic, title and questions"),
    ("topic: t1\ntitle: T\n", "x.yml: line 1: no `questions:` list"),
    ("topic: t1\nquestions: {a: 1}\n", "x.yml: line 2: no `questions:` list"),
    ("topic: t1\npass_mrk: 0.8\nquestions: []\n", "x.yml: line 2: unknown key 'pass_mrk' in the file"),
    ("topic: t1\npass_mark: 80\nquestions: []\n", "x.yml: line 2: pass_mark is a share from 0 to 1"),
    ("topic: t1\ntime_limit: -5\nquestions: []\n", "x.yml: line 2: `time_limit` is -5, below 1"),
    ("topic: t 1\nquestions: []\n", "x.yml: line 1: the topic id 't 1' is not usable"),
    ("questions: []\n", "x.yml: line 1: no `topic:` id; add one or import with --topic"),
    ("topic: t1\nquestions:\n  - &a {id: q}\n  - *a\n", "x.yml: line 4: not valid YAML: anchors and aliases"),
    ("[" * 5000 + "]" * 5000, "x.yml: line 1: not valid YAML: nested too deeply"),
]


@pytest.mark.parametrize(("text", "problem"), FILE_PROBLEMS)
def test_yaml_file_problems_refuse_the_file(text: str, problem: str) -> None:
    with pytest.raises(BankError) as caught:
        parse_yaml(text, source="x.yml")
    (found,) = caught.value.problems
    assert found.startswith(problem)


def test_yaml_topic_from_the_file_or_the_option() -> None:
    text = "questions:\n  - {id: q, type: short, text: t, answers: [a]}\n"
    assert list(parse_yaml(text, topic="given").topics) == ["given"]
    assert list(parse_yaml("topic: own\n" + text, topic="own").topics) == ["own"]
    with pytest.raises(BankError, match="line 1: the file is topic 'own', not 'other'"):
        parse_yaml("topic: own\n" + text, topic="other")


def test_yaml_round_trip_keeps_every_question() -> None:
    bank = parse_yaml((FIXTURES / "every-type.yml").read_text())
    topic = Topic("labels-101", "Labelling basics", tuple(bank.topics["labels-101"]), 0.75, 300)
    written = dump_topic(topic)
    again = parse_yaml(written)
    assert unlined(again.topics["labels-101"]) == unlined(topic.questions)
    assert (again.titles, again.pass_marks, again.time_limits) == (
        bank.titles,
        bank.pass_marks,
        bank.time_limits,
    )
    assert "correct: [0, 1]" in written and "weights: [1.0, 0.5, -0.5]" in written  # the compact forms
    assert "- 'No'" in written  # quoted, so it stays text in any YAML reader


def test_yaml_round_trip_of_a_gift_bank() -> None:
    """GIFT's titles, formats, uneven weights and feedback survive an export to YAML."""
    if importlib.util.find_spec("handlers.quiz.gift") is None:
        pytest.skip("the GIFT parser has not landed")
    bank = parse_bank("hs.gift", (EXAMPLES / "hate-speech-basics.gift").read_bytes(), topic=None)
    ((topic_id, qs),) = bank.topics.items()
    again = parse_yaml(dump_topic(Topic(topic_id, "Hate speech basics", tuple(qs))))
    assert unlined(again.topics[topic_id]) == unlined(qs)


def test_question_dict_is_the_export_shape() -> None:
    q = questions(parse_yaml((FIXTURES / "every-type.yml").read_text()))
    assert question_dict(q["multiple-1"]) == {
        "id": "multiple-1",
        "type": "multiple",
        "title": "Signals",
        "text": "Which are spam signals?\nTick every one.",
        "format": "plain",
        "options": [
            {"text": "Same link everywhere", "right": True, "weight": 0.5, "feedback": ""},
            {"text": "Hidden destination", "right": True, "weight": 0.5, "feedback": ""},
            {"text": "A link in a profile", "right": False, "weight": -1.0, "feedback": ""},
        ],
        "explanation": "",
        "policy": None,
        "tags": [],
    }
    assert question_dict(q["short-1"])["answers"][1] == {
        "text": "repeat",
        "right": False,
        "weight": 0.5,
        "feedback": "Close",
    }
    assert question_dict(q["numeric-2"])["numbers"][1] == {
        "value": 10.0,
        "tolerance": 2.0,
        "weight": 0.5,
        "feedback": "Close",
    }
    assert question_dict(q["matching-1"])["pairs"][0] == {
        "item": "Twenty copies of one comment",
        "match": "duplicate",
    }
