"""The GIFT importer against Moodle's documented syntax: one test per construct, the every-construct
fixture, and the files that must be refused whole."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from handlers.quiz.bank import Answer, BankError, Choice, NumericAnswer, Pair, Question, score
from handlers.quiz.gift import parse_gift

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "quiz"


def one(text: str, **options: str) -> Question:
    """The single question a snippet holds; nothing may be skipped."""
    bank = parse_gift(text, **options)
    assert bank.skipped == []
    questions = [q for qs in bank.topics.values() for q in qs]
    assert len(questions) == 1
    return questions[0]


def skipped(text: str) -> list[tuple[int, str]]:
    bank = parse_gift(text)
    return [(s.line, s.reason) for s in bank.skipped]


def gift_escape(text: str) -> str:
    """How a GIFT writer escapes a text (Moodle's export does the same)."""
    for char in "\\~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


# ----- question types -----


def test_multiple_choice_with_feedback_and_general_feedback() -> None:
    q = one(
        "::Prize draw::Which label fits a mass-shared prize draw link?{\n"
        "  =Spam#Unsolicited promotion.\n"
        "  ~Not violating#It asks for mass sharing.\n"
        "  ~Harassment\n"
        "  ####See the spam policy.\n"
        "}\n"
    )
    assert (q.id, q.type, q.title, q.line) == ("prize-draw", "single", "Prize draw", 1)
    assert q.text == "Which label fits a mass-shared prize draw link?"
    assert q.choices == (
        Choice("Spam", 1.0, "Unsolicited promotion."),
        Choice("Not violating", 0.0, "It asks for mass sharing."),
        Choice("Harassment", 0.0, ""),
    )
    assert q.explanation == "See the spam policy."
    assert score(q, Answer(chosen=(1,))).feedback == "It asks for mass sharing."


def test_multiple_answers_negative_weight_scores_as_moodle() -> None:
    q = one("Spam signals?{~%50%Same link everywhere ~%50%Burst of new posts ~%-100%A holiday photo}")
    assert q.type == "multiple"
    assert [c.weight for c in q.choices] == [0.5, 0.5, -1.0]
    assert score(q, Answer(chosen=(0, 1))).right
    assert score(q, Answer(chosen=(0,))).credit == 0.5
    # The penalty outweighs the half it is picked with: clamped to 0, never negative.
    assert score(q, Answer(chosen=(0, 2))).credit == 0.0
    assert score(q, Answer(chosen=(0, 1, 2))).credit == 0.0


def test_multiple_answers_weighted_with_equals_and_decimal_thirds() -> None:
    q = one("Label fields?{=%50%Queue ~%50%Decision ~Mood}")
    assert q.type == "multiple"
    assert [c.weight for c in q.choices] == [0.5, 0.5, 0.0]
    thirds = one("Which fields?{~%33.33333%Queue ~%33.33333%Section ~%33.33333%Decision ~%-50%Guess}")
    assert [c.weight for c in thirds.choices] == [1 / 3, 1 / 3, 1 / 3, -0.5]
    # Moodle's five decimals stand for exact thirds, so all three together earn full credit.
    assert score(thirds, Answer(chosen=(0, 1, 2))).right
    assert score(thirds, Answer(chosen=(0, 1, 2, 3))).credit == pytest.approx(0.5)
    odd = one("Odd weights?{~%12.5%A ~%87.5%B ~%0.1%C}")
    assert [c.weight for c in odd.choices] == [0.125, 0.875, 0.001]


def test_an_equals_answer_with_full_weight_makes_a_single_choice() -> None:
    q = one("Pick one.{=%100%Right ~%-50%Wrong ~Other}")
    assert q.type == "single"
    assert [c.weight for c in q.choices] == [1.0, -0.5, 0.0]


@pytest.mark.parametrize(("written", "truth"), [("T", True), ("TRUE", True), ("F", False), ("FALSE", False)])
def test_true_false_letters_and_words(written: str, truth: bool) -> None:
    q = one(f"Reports can be escalated.{{{written}}}")
    assert q.type == "truefalse"
    assert q.choices == (Choice("True", 1.0 if truth else 0.0), Choice("False", 0.0 if truth else 1.0))


def test_true_false_feedback_goes_on_the_choice_that_triggers_it() -> None:
    q = one("A repeated comment is always spam.{F#Context matters.#Right: it depends.####Check the account.}")
    assert q.choices == (Choice("True", 0.0, "Context matters."), Choice("False", 1.0, "Right: it depends."))
    assert q.explanation == "Check the account."
    assert score(q, Answer(chosen=(0,))).feedback == "Context matters."
    assert score(q, Answer(chosen=(1,))).right
    true_q = one("Tools can mark spam.{T#Look again.#Yes.}")
    assert true_q.choices == (Choice("True", 1.0, "Yes."), Choice("False", 0.0, "Look again."))


def test_short_answer_with_partial_credit() -> None:
    q = one("Which label applies?{=hate speech =%50%hate#Use the full name. =hateful content}")
    assert q.type == "short"
    assert q.choices == (
        Choice("hate speech", 1.0),
        Choice("hate", 0.5, "Use the full name."),
        Choice("hateful content", 1.0),
    )
    assert score(q, Answer(text="  Hate Speech ")).right
    assert score(q, Answer(text="hate")) == score(q, Answer(text="HATE"))
    assert score(q, Answer(text="hate")).credit == 0.5


def test_numeric_exact_with_margin_and_range() -> None:
    assert one("Hours in the review window?{#24}").numeric == (NumericAnswer(24.0, 0.0),)
    assert one("Pi to two places?{#3.14:0.01}").numeric == (NumericAnswer(3.14, 0.01),)
    ranged = one("Business days for an appeal?{#1..2}")
    assert (ranged.type, ranged.numeric) == ("numeric", (NumericAnswer(1.5, 0.5),))
    negative = one("Change in backlog?{#-3..-1}")
    assert negative.numeric == (NumericAnswer(-2.0, 1.0),)


def test_numeric_several_answers_weights_feedback_and_any_other() -> None:
    q = one("Items in a calibration set?{#\n=1822:0#Exact.\n=%50%1822:2#Close.\n~#See the guide.\n}")
    assert q.numeric[:2] == (
        NumericAnswer(1822.0, 0.0, 1.0, "Exact."),
        NumericAnswer(1822.0, 2.0, 0.5, "Close."),
    )
    other = q.numeric[2]
    assert (other.weight, other.feedback, math.isinf(other.tolerance)) == (0.0, "See the guide.", True)
    assert score(q, Answer(text="1822")).right
    assert (score(q, Answer(text="1823")).credit, score(q, Answer(text="1823")).feedback) == (0.5, "Close.")
    assert score(q, Answer(text="9")).feedback == "See the guide."
    assert score(q, Answer(text="9")).credit == 0.0
    inline = one("Year?{# =1822:0 =%50%1822:2}")
    assert [(a.value, a.tolerance, a.weight) for a in inline.numeric] == [(1822, 0, 1.0), (1822, 2, 0.5)]


def test_matching_pairs_two_accepted() -> None:
    q = one(
        "Match each queue to its policy.{\n=Queue A -> Spam\n=Queue B -> Hate speech\n=Queue C -> Harassment}"
    )
    assert q.type == "matching"
    assert q.pairs == (Pair("Queue A", "Spam"), Pair("Queue B", "Hate speech"), Pair("Queue C", "Harassment"))
    assert score(q, Answer(matches=("Spam", "Harassment", "Harassment"))).credit == pytest.approx(2 / 3)
    two = one("Match.{=Tool A->Export =Tool B->Escalate}")
    assert two.pairs == (Pair("Tool A", "Export"), Pair("Tool B", "Escalate"))


def test_missing_word_keeps_the_text_around_a_blank() -> None:
    q = one("The policy protects people based on a {=protected characteristic ~job title} such as religion.")
    assert q.text == "The policy protects people based on a _____ such as religion."
    assert q.type == "single"
    end = one("Spam is unsolicited {=promotion ~news}.")
    assert end.text == "Spam is unsolicited _____."


# ----- texts, escapes, formats -----


def test_escapes_resolve_in_text_title_answers_and_feedback() -> None:
    q = one(
        r"::A \: B \{x\}::Type \{queue\} \= \~ \# \: a\nb here.{=ticket \= queue#no \# here ~the \{name\}}"
    )
    assert q.title == "A : B {x}"
    assert q.text == "Type {queue} = ~ # : a\nb here."
    assert q.choices == (Choice("ticket = queue", 1.0, "no # here"), Choice("the {name}", 0.0))
    assert one(r"A backslash \\ stays.{=a\\b ~c}").choices[0].text == "a\\b"


@pytest.mark.parametrize(
    "text",
    ["a {brace} and ~tilde", "weights like =%50% and #hash", "time 10:30\nnext line", r"C:\path\~x", "plain"],
)
def test_escapes_round_trip(text: str) -> None:
    q = one(f"::{gift_escape(text)}::{gift_escape(text)}{{={gift_escape(text)}#{gift_escape(text)} ~other}}")
    assert (q.title, q.text, q.choices[0].text, q.choices[0].feedback) == (text, text, text, text)


@pytest.mark.parametrize("name", ["markdown", "html", "plain", "moodle"])
def test_format_prefixes_set_the_text_format_and_are_stripped_elsewhere(name: str) -> None:
    q = one(f"::T::[{name}]Pick **one**.{{=[{name}]Right#[{name}]Yes. ~[{name}]Wrong ####[{name}]Because.}}")
    assert (q.text_format, q.text) == (name, "Pick **one**.")
    assert q.choices == (Choice("Right", 1.0, "Yes."), Choice("Wrong", 0.0))
    assert q.explanation == "Because."
    assert one("No prefix.{=a ~b}").text_format == "moodle"
    assert one("[other]Unknown prefixes stay.{=a ~b}").text == "[other]Unknown prefixes stay."


def test_multi_line_text_keeps_its_lines() -> None:
    q = one("First line\n\tsecond line   \n{=a ~b}")
    assert q.text == "First line\nsecond line"


# ----- ids, tags, policy, topics, lines -----


def test_comment_metadata_in_any_order() -> None:
    text = (
        "// a note for trainers\n"
        "// [tag:spam] [policy:spam#links]\n"
        "// [id:spam-001] [tag:links]\n"
        "::Ignored title:: Links?{=Spam ~Fine}\n"
    )
    q = one(text)
    assert (q.id, q.tags, q.policy, q.line) == ("spam-001", ("spam", "links"), "spam#links", 4)


def test_comment_lines_inside_a_question_are_dropped_and_carry_no_metadata() -> None:
    q = one("// [tag:kept]\nPick.{\n=a\n// ~a retired option [tag:dropped]\n~b\n}")
    assert (q.choices, q.tags) == ((Choice("a", 1.0), Choice("b", 0.0)), ("kept",))


def test_ids_from_title_else_line() -> None:
    bank = parse_gift("::Hate speech / slurs::A?{T}\n\n\n// only a comment\nB?{F}\n")
    ids = [(q.id, q.line) for q in bank.topics["default"]]
    assert ids == [("hate-speech-slurs", 1), ("q5", 5)]


def test_metadata_applies_only_to_the_question_right_after_it() -> None:
    bank = parse_gift("// [id:kept]\n\nA?{T}\n")
    assert bank.topics["default"][0].id == "q3"


def test_duplicate_id_skips_the_later_question() -> None:
    bank = parse_gift("// [id:same]\nA?{T}\n\n// [id:same]\nB?{F}\n")
    assert [q.text for q in bank.topics["default"]] == ["A?"]
    assert [(s.line, s.reason) for s in bank.skipped] == [
        (5, "the id 'same' is already used by the question on line 2")
    ]


def test_ids_and_policies_the_bank_refuses_are_skipped() -> None:
    bad = skipped("// [id:has space]\nA?{T}\n\n// [policy:Not A Ref]\nB?{T}\n")
    assert bad == [
        (2, "the id 'has space' is not usable (letters, digits, _ . : - ; up to 64)"),
        (5, "the policy reference 'Not A Ref' is not `policy_id#section`"),
    ]


def test_categories_map_to_topics_with_the_full_category_as_title() -> None:
    text = (
        "Before any category?{T}\n\n"
        "$CATEGORY: $course$/top/Policy/Hate speech\n\n"
        "A?{T}\n\n"
        "$CATEGORY: $course$/top/Tools\n"
        "B?{F}\n"
    )
    bank = parse_gift(text, topic="onboarding")
    assert {k: [q.text for q in v] for k, v in bank.topics.items()} == {
        "onboarding": ["Before any category?"],
        "hate-speech": ["A?"],
        "tools": ["B?"],
    }
    assert bank.titles == {"hate-speech": "$course$/top/Policy/Hate speech", "tools": "$course$/top/Tools"}
    assert bank.topics["tools"][0].line == 8
    assert list(parse_gift("A?{T}").topics) == ["default"]


def test_line_endings_bom_tabs_and_trailing_spaces_change_nothing() -> None:
    lf = "// c\n::T:: Q? \t\n{\n\t=a   \n\t~b\t\n}\n\n\tNext?{F}  \n"
    crlf = "\ufeff" + lf.replace("\n", "\r\n")
    assert parse_gift(crlf).topics == parse_gift(lf).topics
    q = parse_gift(crlf).topics["default"]
    assert [(x.text, x.line) for x in q] == [("Q?", 2), ("Next?", 8)]
    assert q[0].choices == (Choice("a", 1.0), Choice("b", 0.0))


def test_a_blank_line_inside_braces_does_not_end_the_question() -> None:
    q = one("Pick.{\n=a\n\n~b\n}")
    assert q.choices == (Choice("a", 1.0), Choice("b", 0.0))


# ----- skipped questions and refused files -----


def test_questions_the_bank_cannot_take_are_skipped_with_reasons() -> None:
    text = (
        "::Tip:: The escalation button is on the right.\n\n"
        "Describe an escalation.{}\n\n"
        "Weighted.{~%150%A ~B}\n\n"
        "No right one.{~A ~B}\n\n"
        "How many?{#twelve}\n\n"
        "Two {=a ~b} blanks {=c ~d}.\n\n"
        "Match.{=A -> 1 =B}\n\n"
        "Match.{=A -> 1 =B -> 2 = -> 3}\n\n"
        "{=no text ~at all}\n\n"
        "Kept?{T}\n"
    )
    bank = parse_gift(text)
    assert [(s.line, s.reason) for s in bank.skipped] == [
        (1, "a description, not a question"),
        (3, "an essay question (free text) cannot be scored automatically"),
        (5, "the weight 150% is outside -100%..100%"),
        (7, "the positive weights of a multiple-answer question add up to less than 100%"),
        (9, "'twelve' is not a number"),
        (11, "more than one answer block {…} in a question (embedded answers are not supported)"),
        (13, "the matching answer 'B' has no ->"),
        (15, "matching answers without an item (extra distractors) are not supported"),
        (17, "the question has no text"),
    ]
    assert bank.skipped[0].title == "Tip"
    assert [q.line for q in bank.topics["default"]] == [19]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("A?{T}\n\nB?{=a ~b\n\nC?{F}\n", "line 5: a { while the one of line 3 is open (a missing }?)"),
        ("A?{T}\n\nB?{=a ~b\n", "line 3: the { opened here is never closed by a }"),
        ("A?{T}\n\nB? =a ~b}\n", "line 3: a } with no { before it (write \\} for a brace)"),
        ("Just a memo about\nthe queues.\n\nNothing to answer.\n", "line 1: no GIFT question found"),
        ("", "line 1: no GIFT question found"),
    ],
)
def test_files_that_are_not_gift_raise_with_the_line(text: str, problem: str) -> None:
    with pytest.raises(BankError) as raised:
        parse_gift(text, source="bank.gift")
    assert raised.value.problems[0].startswith("bank.gift: " + problem)


def test_every_brace_problem_is_reported() -> None:
    with pytest.raises(BankError) as raised:
        parse_gift("A}?{T}\n\nB?{=a {~b}\n\nC?{=x\n")
    assert raised.value.problems == [
        "line 1: a } with no { before it (write \\} for a brace)",
        "line 3: a { while the one of line 3 is open (a missing }?)",
        "line 5: the { opened here is never closed by a }",
    ]


# ----- the every-construct fixture -----


def test_every_construct_fixture() -> None:
    bank = parse_gift((FIXTURES / "gift-every-construct.gift").read_text(encoding="utf-8"))
    counts = {topic: [q.type for q in qs] for topic, qs in bank.topics.items()}
    assert counts == {
        "spam": ["single", "multiple", "multiple", "truefalse", "truefalse"] + ["numeric"] * 4,
        "hate-speech": ["single", "short", "matching", "single"],
        "tools": ["single"],
    }
    assert bank.titles["hate-speech"] == "$course$/top/Policy/Hate speech"
    assert [(s.line, s.title) for s in bank.skipped] == [
        (62, "Tool tip"),
        (64, "Escalation essay"),
        (66, "Broken weight"),
        (68, "No right answer"),
        (71, "Duplicate"),
        (73, "Bad number"),
        (75, "Two blanks"),
        (77, "Extra match"),
    ]
    first = bank.topics["spam"][0]
    assert (first.id, first.line, first.tags, first.policy) == (
        "spam-links",
        8,
        ("spam", "links"),
        "spam#links",
    )
    assert (first.text_format, first.explanation) == (
        "markdown",
        "Promotions that ask for mass sharing are spam.",
    )
    definition = bank.topics["hate-speech"][0]
    assert definition.text == "The policy protects people based on a _____ such as religion."
    assert (definition.id, definition.text_format, definition.policy) == (
        "hs-definition",
        "html",
        "hate-speech#definition",
    )
    escaped = bank.topics["hate-speech"][3]
    assert (escaped.id, escaped.title) == ("filter-syntax", "Filter : syntax")
    assert escaped.text == "In the tool, type {queue} = ~ # : a\nb to filter."
    calibration = bank.topics["spam"][8]
    assert [(a.value, a.tolerance, a.weight) for a in calibration.numeric[:2]] == [(50, 0, 1.0), (50, 5, 0.5)]
    plain = bank.topics["tools"][0]
    assert (plain.id, plain.text_format, plain.choices[1].feedback) == ("q79", "plain", "That one closes it.")
