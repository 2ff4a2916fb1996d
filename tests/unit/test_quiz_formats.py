"""The Aiken and CSV importers, and parse_bank's choice of format, decoding and limits."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from handlers.quiz.aiken import parse_aiken
from handlers.quiz.bank import Answer, BankError, Choice, NumericAnswer, Question, score
from handlers.quiz.csvbank import parse_csv
from handlers.quiz.formats import MAX_BYTES, MAX_QUESTIONS, parse_bank
from tests.unit.quiz_bank_helpers import EXAMPLES, FIXTURES, questions, skips

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
