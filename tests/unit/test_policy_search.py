"""Policy search on a small hand-made library, and the example library's evaluation set."""

from __future__ import annotations

import pytest

from benchmarks import policy_eval
from handlers.policy.model import Passage
from handlers.policy.search import PolicyIndex, excerpt


def section(policy: str, anchor: str, heading: str, text: str, verified: bool = False) -> Passage:
    return Passage(
        key=f"policy:{policy}#{anchor}",
        policy_id=policy,
        anchor=anchor,
        title=policy.replace("-", " ").title(),
        heading=heading,
        text=text,
        verified=verified,
    )


LIBRARY = [
    section(
        "spam",
        "repeated-posts",
        "Repeated posts",
        "Remove comments that repeat the same text many times. Posts reported as repeated by several "
        "people are reviewed first.",
    ),
    section(
        "spam",
        "deceptive-links",
        "Deceptive links",
        "Remove shortened links that hide where they lead, or pages that ask for login details.",
    ),
    section(
        "child-safety",
        "escalation",
        "Escalation",
        "Escalate any child sexual abuse material to the specialist team; never share it in chat.",
    ),
    section(
        "graphic-media",
        "warning-screens",
        "Warning screens",
        "Apply a warning screen to disturbing media shared for awareness or documentation.",
    ),
    section(
        "harassment",
        "news-quotes",
        "Quoted words in news",
        "A quoted insult in a news report describing events stays up. News reporting that quotes "
        "insults, news articles, news broadcasts and news summaries about insults stay up.",
    ),
]
GLOSSARY = {"csam": ["child sexual abuse material"], "misinformation": ["misinfo"]}


@pytest.fixture(scope="module")
def index() -> PolicyIndex:
    return PolicyIndex.build(LIBRARY, GLOSSARY)


def keys(hits: list) -> list[str]:
    return [h.passage.key for h in hits]


def test_an_abbreviation_from_the_glossary_finds_the_section_that_spells_it_out(index: PolicyIndex) -> None:
    hits = index.search("CSAM: what do I do?")
    assert keys(hits)[0] == "policy:child-safety#escalation"
    assert index.confident(hits)
    assert {"child", "sexual", "abuse", "material"} <= set(hits[0].matched)


def test_without_the_glossary_the_abbreviation_finds_nothing() -> None:
    assert PolicyIndex.build(LIBRARY, {}).search("CSAM") == []


def test_stemming_matches_another_form_of_the_word(index: PolicyIndex) -> None:
    hits = index.search("reporting repeat comments")
    assert keys(hits)[0] == "policy:spam#repeated-posts"
    assert "reported" in hits[0].matched


def test_a_misspelt_word_still_finds_its_section(index: PolicyIndex) -> None:
    hits = index.search("decpetive lnks")  # "deceptive" with two letters swapped
    assert keys(hits)[0] == "policy:spam#deceptive-links"
    assert "deceptive" in hits[0].matched
    assert PolicyIndex.build(LIBRARY, GLOSSARY, typo_tolerance=False).search("decpetive") == []


def test_a_verified_answer_ranks_first_for_its_question_and_a_close_variant() -> None:
    question = "Does a quoted insult in a news report count?"
    owners_answer = (
        " No. Keep it when the post describes events rather than endorsing the words; if the post adds"
        " its own remarks aimed at a person, review those remarks under the usual rules instead."
    )

    def answer(verified: bool) -> Passage:
        return section("harassment", "news-quotes", question, question + owners_answer, verified=verified)

    variants = ("does a quoted insult in a news report count", "do quoted insults in news reports count?")
    verified = PolicyIndex.build([*LIBRARY, answer(True)], GLOSSARY)
    plain = PolicyIndex.build([*LIBRARY, answer(False)], GLOSSARY)
    for asked in variants:
        assert verified.search(asked)[0].passage.verified, asked
        # The same text, not verified, loses to the section on BM25 alone: the rule puts it first.
        assert keys(plain.search(asked))[0] == "policy:harassment#news-quotes"
        assert not plain.search(asked)[0].passage.verified, asked
    assert not verified.search("news insults")[0].passage.verified


def test_an_unrelated_question_is_not_confident(index: PolicyIndex) -> None:
    assert not index.confident(index.search("when is payday for the night shift?"))
    assert not index.confident(index.search("how do I reset my screen password"))
    assert not index.confident([])


def test_excerpt_bolds_the_matched_words_and_cuts_at_word_boundaries() -> None:
    text = (
        "Filler words come first here. " * 8 + "The deceptive link hides its target. " + "More filler. " * 8
    )
    spans = excerpt(section("spam", "x", "X", text), ["deceptive", "link"], width=60)
    joined = "".join(piece for piece, _ in spans)
    assert [piece for piece, bold in spans if bold] == ["deceptive", "link"]
    assert joined.startswith("…") and joined.endswith("…")
    inner = joined[1:-1]
    assert len(inner) <= 60
    whole = " ".join(text.split())
    at = whole.index(inner)
    # Whole words only: a space on each side of the cut, none inside the excerpt's ends.
    assert whole[at - 1] == " " and whole[at + len(inner)] == " "
    assert inner == inner.strip()


def test_a_short_passage_is_shown_whole() -> None:
    spans = excerpt(section("spam", "x", "X", "Keep one post.\nRemove the rest."), ["post"])
    assert spans == [("Keep one ", False), ("post", True), (". Remove the rest.", False)]


def test_the_example_library_reaches_its_recall_target_and_rejects_every_unanswerable_question() -> None:
    as_of, questions = policy_eval.load_questions()
    library = policy_eval.passages(policy_eval.in_effect(policy_eval.load_policies(), as_of))
    index = PolicyIndex.build(library, policy_eval.load_glossary())
    scores = policy_eval.evaluate(index, questions)
    assert len([q for q in questions if q.expect]) >= 60
    assert len([q for q in questions if not q.expect]) >= 8
    assert scores.recall_at_3 >= 0.9
    assert scores.negatives_rejected == 1.0
