"""The native YAML format (read, written back, exported), the Aiken and CSV importers, and parse_bank's
choice of format, decoding and limits."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import pytest

from handlers.quiz.aiken import parse_aiken
from handlers.quiz.bank import Answer, BankError, Choice, NumericAnswer, Pair, Question, Topic, score
from handlers.quiz.csvbank import parse_csv
from handlers.quiz.formats import MAX_BYTES, MAX_QUESTIONS, parse_bank
from handlers.quiz.native import QUESTION_KEYS, parse_yaml
from handlers.quiz.native_export import dump_topic, question_dict

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "quiz"
EXAMPLES = ROOT / "examples" / "quiz"
HEAD = "topic: t1\nquestions:\n"


def questions(bank) -> dict[str, Question]:
    return {q.id: q for qs in bank.topics.values() for q in qs}


def skips(bank) -> list[tuple[int, str]]:
    return [(s.line, s.reason) for s in bank.skipped]


def unlined(qs) -> list[Question]:
    return [dataclasses.replace(q, line=0) for q in qs]


# ----- native YAML -----


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


# ----- Aiken -----


def test_aiken_questions_and_skips() -> None:
    bank = parse_aiken((FIXTURES / "mixed.aiken").read_text(), topic="tools")
    q = questions(bank)
    assert list(bank.topics) == ["tools"] and list(q) == ["aiken-1", "aiken-5", "aiken-24"]
    assert q["aiken-5"] == Question(
        id="aiken-5",
        type="single",
        text="Which shortcut submits a label?\n(pick one)",
        choices=(Choice("Ctrl+Enter", 1.0), Choice("Ctrl+S", 0.0), Choice("Esc", 0.0)),
        text_format="plain",
        line=5,
    )
    assert [c.weight for c in q["aiken-24"].choices] == [0.0, 1.0]
    assert skips(bank) == [
        (12, "options are lettered A, B, C … in order, not A, C"),
        (16, "`ANSWER: D` is not one of the options A–B"),
        (21, "no `ANSWER:` line after the options"),
        (28, "`ANSWER:` with no question before it"),
    ]
    assert (
        score(q["aiken-5"], Answer(chosen=(0,))).right and not score(q["aiken-5"], Answer(chosen=(2,))).right
    )


def test_aiken_needs_a_topic() -> None:
    with pytest.raises(BankError, match=r"^t.aiken: line 1: an Aiken file names no topic"):
        parse_aiken("Q\nA) a\nB) b\nANSWER: A\n", topic=None, source="t.aiken")


# ----- CSV -----


def test_csv_rows_and_skips() -> None:
    bank = parse_csv((FIXTURES / "bank.csv").read_text(), topic="escalations")
    assert {t: [q.id for q in qs] for t, qs in bank.topics.items()} == {
        "escalations": ["e-1", "e-3", "e-4", "e-5"],
        "other": ["csv-4"],
    }
    q = questions(bank)
    assert q["e-1"] == Question(
        id="e-1",
        type="single",
        text="Two lines\nof text",
        choices=(Choice("Escalate", 1.0), Choice("Label it", 0.0)),
        explanation="Safety first.",
        policy="escalations#urgent",
        tags=("urgent", "sla"),
        text_format="plain",
        line=2,
    )
    assert [c.weight for c in q["csv-4"].choices] == [0.5, 0.5, -1.0]
    assert q["e-3"].choices == (Choice("True", 1.0), Choice("False", 0.0))
    assert q["e-4"].numeric == (NumericAnswer(1.5, 0.5),)
    assert q["e-5"].choices == (Choice("appeals", 1.0), Choice("appeal", 1.0))
    assert [line for line, _ in skips(bank)] == [9, 10, 11, 12, 13, 14]
    reasons = [reason for _, reason in skips(bank)]
    assert reasons[0] == "option_b is empty but a later option is not"
    assert reasons[1].startswith("type 'matching' is not one of single, multiple")
    assert reasons[2] == "correct is letters of filled options (B or A;C), not 'C'"
    assert reasons[3] == "correct is a number (1822 or 1822±0.5) for numeric, not 'soon'"
    assert reasons[4] == "option columns are for single and multiple questions, not short"
    assert reasons[5] == "the id 'e-3' is already used by the question on line 5"
    assert score(q["e-4"], Answer(text="1,9")).right and not score(q["e-4"], Answer(text="2.1")).right


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("id,type,text,option_a,option_b", "x.csv: line 1: the header has no `correct` column"),
        ("type,text,correct,notes", "x.csv: line 1: unknown column 'notes' (columns: id,topic,type,"),
        ("type,text,correct,Text", "x.csv: line 1: the column `text` is there twice"),
        ("", "x.csv: line 1: no header row"),
    ],
)
def test_csv_header_problems_refuse_the_file(header: str, problem: str) -> None:
    with pytest.raises(BankError) as caught:
        parse_csv(header + "\nsingle,t,A\n", source="x.csv")
    assert caught.value.problems[0].startswith(problem)


def test_csv_row_without_a_topic_is_skipped() -> None:
    bank = parse_csv("type,text,correct\nshort,t,a\n")
    assert skips(bank) == [(2, "no usable topic: fill the topic column or import with --topic")]


# ----- parse_bank: format, encoding, limits -----

AIKEN = "Which one?\nA) One\nB) Two\nANSWER: B\n"


@pytest.mark.parametrize(
    ("name", "data", "topics"),
    [
        ("Tools.AIKEN", AIKEN.encode(), ["tools"]),
        ("tools.txt", AIKEN.encode(), ["tools"]),
        ("tools.txt", b"Which one? {=One ~Two}\n", ["tools"]),
        ("bank.csv", "\ufefftype,text,correct\nshort,t,a\n".encode(), ["bank"]),
        (
            "uploads/spam.yaml",
            b"topic: spam\nquestions:\n  - {id: q, type: short, text: t, answers: [a]}\n",
            ["spam"],
        ),
    ],
)
def test_parse_bank_picks_the_format_and_topic(name: str, data: bytes, topics: list[str]) -> None:
    if name.endswith(".txt") and b"{" in data and importlib.util.find_spec("handlers.quiz.gift") is None:
        pytest.skip("the GIFT parser has not landed")
    assert list(parse_bank(name, data, topic=None).topics) == topics


def test_parse_bank_topic_given_wins_over_the_file_name() -> None:
    assert list(parse_bank("tools.aiken", AIKEN.encode(), topic="onboarding").topics) == ["onboarding"]


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("bank.docx", b"PK", "bank.docx: not a bank file this bot reads (.yml, .yaml, .gift"),
        ("bank.txt", b"Just some notes\n", "bank.txt: a .txt bank is GIFT"),
        (
            "bank.aiken",
            "Caf\u00e9?\nA) a\nB) b\nANSWER: A\n".encode("latin-1"),
            "bank.aiken: line 1: not UTF-8 text (byte 0xe9)",
        ),
        ("bank.aiken", b"\xef\xbb\xbfQ\nA) a\n\xff", "bank.aiken: line 3: not UTF-8 text (byte 0xff)"),
        (
            "bank.csv",
            "type,text,correct\n".encode("utf-16"),
            "bank.csv: the file is UTF-16; save it as UTF-8",
        ),
        ("bank.aiken", b"Q\nA) a\x00\n", "bank.aiken: line 2: a NUL byte"),
        ("bank.aiken", b"\n\n", "bank.aiken: no questions found"),
        ("bank.aiken", b"x" * (MAX_BYTES + 1), "bank.aiken: 1,048,577 bytes; a bank file is at most 1 MB"),
    ],
)
def test_parse_bank_refuses_what_it_cannot_read(name: str, data: bytes, problem: str) -> None:
    with pytest.raises(BankError) as caught:
        parse_bank(name, data, topic="t")
    assert caught.value.problems[0].startswith(problem)


def test_parse_bank_question_limit() -> None:
    assert (
        len(parse_bank("b.aiken", (AIKEN * MAX_QUESTIONS).encode(), topic="t").topics["t"]) == MAX_QUESTIONS
    )
    with pytest.raises(BankError, match="2,001 questions; a bank file holds at most 2,000"):
        parse_bank("b.aiken", (AIKEN * (MAX_QUESTIONS + 1)).encode(), topic="t")


@pytest.mark.parametrize("path", sorted(EXAMPLES.iterdir()), ids=lambda p: p.name)
def test_example_banks_are_valid(path: Path) -> None:
    if path.suffix == ".gift" and importlib.util.find_spec("handlers.quiz.gift") is None:
        pytest.skip("the GIFT parser has not landed")
    bank = parse_bank(path.name, path.read_bytes(), topic=None)
    assert bank.skipped == []
    assert list(bank.topics) == [path.stem]
    assert all(
        q.policy and q.policy.startswith(path.stem.split("-")[0]) for q in bank.topics[path.stem] if q.policy
    )
    assert len(bank.topics[path.stem]) >= 4
