"""Agreement statistics against published worked examples, to the precision they were published with,
and the edge cases a calibration session meets (one label, one rater, missing and unequal ratings)."""

from __future__ import annotations

import json
import random

import pytest

from handlers.calibration.agreement import (
    AgreementReport,
    Rating,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha_nominal,
    session_statistics,
)

PUBLISHED = 5e-4  # published to three decimals


def reliability_data(rows: dict[str, str], missing: str = ".") -> list[Rating]:
    """Observers × units as printed in the sources (one string per observer) → (unit, observer, value)."""
    return [
        (f"u{unit}", observer, value)
        for observer, values in rows.items()
        for unit, value in enumerate(values.split(), start=1)
        if value != missing
    ]


# K. Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: nominal data, any
# number of observers, missing data. https://repository.upenn.edu/asc_papers/43 (also in his Content
# Analysis, 2019, ch. 12). Published alpha (nominal) = 0.743.
KRIPPENDORFF_C = {
    "A": "1 2 3 3 2 1 4 1 2 . . .",
    "B": "1 2 3 3 2 2 4 1 2 5 . 3",
    "C": ". 3 3 3 2 3 4 2 2 5 1 .",
    "D": "1 2 3 3 2 4 4 1 2 5 1 .",
}


def test_krippendorff_2011_nominal_example_with_missing_data() -> None:
    """Krippendorff (2011), section C: 4 observers, 12 units, missing values; alpha = 0.743."""
    alpha, note = krippendorff_alpha_nominal(reliability_data(KRIPPENDORFF_C))
    assert alpha == pytest.approx(0.743, abs=PUBLISHED)
    assert note == ""


def test_krippendorff_2011_binary_example() -> None:
    """Krippendorff (2011), section A: binary data, two observers, 10 units, none missing; alpha = 0.095."""
    data = {"Kim": "0 1 0 0 0 0 0 0 1 0", "Ann": "1 1 1 0 0 1 0 0 0 0"}
    alpha, _ = krippendorff_alpha_nominal(reliability_data(data))
    assert alpha == pytest.approx(0.095, abs=PUBLISHED)


def test_krippendorff_2011_nominal_two_observers_example() -> None:
    """Krippendorff (2011), section B: nominal data, two observers, 12 units, none missing; alpha = 0.692.
    (The first units, a/b, a/a, b/b, b/b, d/b, c/c, are also quoted at geeksmental.com, "How is a
    coincidence matrix constructed for computing Krippendorff's alpha?")"""
    data = {"Ben": "a a b b d c c c e d d a", "Gerry": "b a b b b c c c e d d d"}
    alpha, _ = krippendorff_alpha_nominal(reliability_data(data))
    assert alpha == pytest.approx(0.692, abs=PUBLISHED)


def test_krippendorff_wikipedia_computational_example() -> None:
    """Wikipedia, "Krippendorff's alpha", A computational example: 3 coders, 15 units (several coded
    by one coder or none), nominal alpha = 0.691 (data as reproduced in dallascard/krippendorff_alpha,
    example.jsonlist)."""
    data = {
        "A": "* * * * * 3 4 1 2 1 1 3 3 * 3",
        "B": "1 * 2 1 3 3 4 3 * * * * * * *",
        "C": "* * 2 1 3 4 4 * 2 1 1 3 3 * 4",
    }
    alpha, _ = krippendorff_alpha_nominal(reliability_data(data, missing="*"))
    assert alpha == pytest.approx(0.691, abs=PUBLISHED)


def test_units_with_one_rating_are_left_out_of_alpha() -> None:
    """Unit 12 of section C has one value: dropping it, or adding another lone value with a label no one
    else used, leaves alpha where it is (a lone value would otherwise enter the expected disagreement)."""
    ratings = reliability_data(KRIPPENDORFF_C)
    published, _ = krippendorff_alpha_nominal(ratings)
    without_12, _ = krippendorff_alpha_nominal([r for r in ratings if r[0] != "u12"])
    with_lone_label, _ = krippendorff_alpha_nominal([*ratings, ("u13", "A", "9")])
    assert without_12 == pytest.approx(published, abs=1e-12)
    assert with_lone_label == pytest.approx(published, abs=1e-12)


def test_alpha_is_nominal_order_free_and_labels_stay_text() -> None:
    """Nominal: renaming the labels, or reading the ratings in another order, changes nothing; numbers
    written as text are labels ("1" and "1.0" are two labels, never merged)."""
    ratings = reliability_data(KRIPPENDORFF_C)
    names = {"1": "keep", "2": "age_restrict", "3": "remove", "4": "escalate", "5": "10"}
    renamed = [(unit, observer, names[value]) for unit, observer, value in ratings]
    shuffled = ratings[:]
    random.Random(7).shuffle(shuffled)
    expected, _ = krippendorff_alpha_nominal(ratings)
    assert krippendorff_alpha_nominal(renamed)[0] == pytest.approx(expected, abs=1e-12)
    assert krippendorff_alpha_nominal(shuffled)[0] == pytest.approx(expected, abs=1e-12)
    text = session_statistics([("u1", "A", "1"), ("u1", "B", "1.0"), ("u2", "A", "2"), ("u2", "B", "2")])
    assert text.items[0].votes == {"1": 1, "1.0": 1}
    assert text.alpha is not None and text.alpha < 1.0


# Fleiss (1971) as reproduced in Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters,
# 5 categories; P-bar = 0.378, P-bar-e = 0.213, kappa = 0.210.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def fleiss_ratings(raters_per_subject: int = 14, pool: int = 14) -> list[Rating]:
    """The table as individual ratings; with `pool` > 14, each subject is rated by different people."""
    ratings = []
    for subject, row in enumerate(FLEISS_TABLE):
        labels = [f"category {c + 1}" for c, count in enumerate(row) for _ in range(count)]
        raters = [f"r{(subject * 3 + k) % pool}" for k in range(raters_per_subject)]
        ratings += [(f"s{subject + 1}", rater, label) for rater, label in zip(raters, labels, strict=True)]
    return ratings


def test_fleiss_1971_worked_example() -> None:
    """Fleiss (1971) via Wikipedia's worked example: kappa = 0.210."""
    kappa, note = fleiss_kappa(fleiss_ratings())
    assert kappa == pytest.approx(0.210, abs=PUBLISHED)
    assert note == ""


def test_fleiss_needs_the_same_count_not_the_same_raters() -> None:
    """Every subject rated 14 times, by different people out of 20: Fleiss' kappa is the same 0.210."""
    ratings = fleiss_ratings(pool=20)
    assert len({rater for _, rater, _ in ratings}) == 20
    assert fleiss_kappa(ratings)[0] == pytest.approx(0.210, abs=PUBLISHED)


def test_fleiss_is_none_with_unequal_rating_counts_and_says_why() -> None:
    ratings = reliability_data(KRIPPENDORFF_C)
    report = session_statistics(ratings)
    assert report.fleiss is None
    assert report.fleiss_note.startswith("items have 1 to 4 ratings")
    assert report.alpha == pytest.approx(0.743, abs=PUBLISHED)  # alpha takes missing ratings


def test_cohen_kappa_textbook_example() -> None:
    """Wikipedia, "Cohen's kappa", simple example: 50 grant proposals read by A and B; both yes 20,
    A yes B no 5, A no B yes 10, both no 15; p_o = 0.70, p_e = 0.50, kappa = 0.40."""
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    kappa, note = cohen_kappa(a, b)
    assert kappa == pytest.approx(0.40, abs=5e-3)
    assert note == ""


def test_cohen_kappa_three_labels_hand_computed() -> None:
    """Three labels: p_o = 8/10; marginals 3/3/4 and 2/3/5 give p_e = 0.35; kappa = 0.45/0.65."""
    rater = ["a", "a", "a", "b", "b", "b", "c", "c", "c", "c"]
    reference = ["a", "a", "b", "b", "b", "c", "c", "c", "c", "c"]
    assert cohen_kappa(rater, reference)[0] == pytest.approx(0.45 / 0.65, abs=1e-12)


def test_each_participant_against_the_reference() -> None:
    """The textbook 50 items as a session: B is the reference; A's accuracy 0.70 and kappa 0.40, over the
    items with a reference only (two more items without one do not count)."""
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    references: dict[str, str | None] = {f"i{n}": label for n, label in enumerate(b)}
    references["x1"] = None
    ratings = [(f"i{n}", "A", label) for n, label in enumerate(a)] + [("x1", "A", "no"), ("x2", "A", "yes")]
    report = session_statistics(ratings, references)
    (rater,) = report.raters
    assert (rater.rater, rater.rated) == ("A", 52)
    assert rater.accuracy == pytest.approx(0.70)
    assert rater.kappa == pytest.approx(0.40, abs=5e-3)


def test_everyone_agrees() -> None:
    """Complete agreement over two labels: alpha, Fleiss and each Cohen's kappa are 1.0; none to discuss."""
    ratings = [(item, rater, label) for item, label in [("i1", "keep"), ("i2", "remove")] for rater in "ABC"]
    report = session_statistics(ratings, {"i1": "keep", "i2": "remove"})
    assert (report.alpha, report.fleiss) == (1.0, 1.0)
    assert [(r.accuracy, r.kappa) for r in report.raters] == [(1.0, 1.0)] * 3
    assert report.discussion == ()


def test_one_label_only_is_reported_as_undefined_not_as_one() -> None:
    """Everyone chose 'keep' on every item: chance agreement is total, so kappa and alpha are 0/0. They
    are None with a note naming the label; accuracy is still 1.0."""
    ratings = [(item, rater, "keep") for item in ("i1", "i2", "i3") for rater in "AB"]
    report = session_statistics(ratings, {"i1": "keep", "i2": "keep"})
    assert report.alpha is None and report.fleiss is None
    assert "'keep'" in report.alpha_note and "undefined" in report.alpha_note
    assert "undefined" in report.fleiss_note
    assert [(r.accuracy, r.kappa) for r in report.raters] == [(1.0, None)] * 2
    assert "undefined" in report.raters[0].kappa_note
    assert report.discussion == ()


def test_a_single_rater() -> None:
    report = session_statistics([("i1", "A", "keep"), ("i2", "A", "remove")], {"i1": "keep", "i2": "keep"})
    assert (report.alpha, report.alpha_note) == (None, "no item has two ratings")
    assert (report.fleiss, report.fleiss_note) == (None, "each item has one rating")
    (rater,) = report.raters
    assert (rater.rated, rater.accuracy) == (2, 0.5)
    assert [item.agreement for item in report.items] == [1.0, 1.0]  # one vote agrees with itself
    assert [item.item_id for item in report.discussion] == ["i2"]  # but not with the reference


def test_a_rater_without_referenced_items() -> None:
    report = session_statistics([("i1", "A", "keep"), ("i1", "B", "keep")], {"i1": None})
    assert [(r.accuracy, r.kappa, r.kappa_note) for r in report.raters] == [
        (None, None, "no rated item has a reference")
    ] * 2


def test_item_votes_mode_and_the_discussion_list() -> None:
    """Votes most first; a tie has every tied label as the mode; discussed below the threshold (not at
    it), or when the mode is not the reference, even unanimously, or tied with it."""
    ratings = [
        *[("clear", r, "remove") for r in "ABC"],
        *[("wrong", r, "keep") for r in "ABC"],
        *[("split", r, label) for r, label in zip("ABCD", ["keep", "remove", "remove", "keep"], strict=True)],
        *[
            ("mostly", r, label)
            for r, label in zip("ABC", ["keep", "age_restrict", "age_restrict"], strict=True)
        ],
    ]
    references = {"clear": "remove", "wrong": "remove", "split": "remove", "unrated": "keep"}
    report = session_statistics(ratings, references)
    by_id = {item.item_id: item for item in report.items}
    assert list(by_id) == ["clear", "wrong", "split", "mostly", "unrated"]
    assert by_id["mostly"].votes == {"age_restrict": 2, "keep": 1}
    assert list(by_id["mostly"].votes) == ["age_restrict", "keep"]
    assert by_id["mostly"].agreement == pytest.approx(2 / 3)
    assert by_id["split"].modal == ("keep", "remove")
    assert by_id["split"].agreement == 0.5
    assert by_id["unrated"].votes == {} and not by_id["unrated"].discuss
    assert [item.item_id for item in report.discussion] == ["wrong", "split", "mostly"]
    at_two_thirds = session_statistics(ratings, references, threshold=2 / 3)
    assert [item.item_id for item in at_two_thirds.discussion] == ["wrong", "split"]
    at_half = session_statistics(ratings, references, threshold=0.5)
    assert [item.item_id for item in at_half.discussion] == ["wrong", "split"]  # a tie is not the reference


def test_a_rater_rating_an_item_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="'A' rated item 'i1' more than once"):
        session_statistics([("i1", "A", "keep"), ("i1", "A", "remove")])


def test_the_report_as_json() -> None:
    ratings = reliability_data(KRIPPENDORFF_C)
    report: AgreementReport = session_statistics(ratings, {"u6": "1"}, threshold=0.8)
    data = json.loads(json.dumps(report.as_dict()))
    assert set(data) == {
        "items",
        "raters",
        "fleiss",
        "fleiss_note",
        "alpha",
        "alpha_note",
        "threshold",
        "discussion",
    }
    assert data["alpha"] == pytest.approx(0.743, abs=PUBLISHED)
    assert data["threshold"] == 0.8
    assert data["discussion"] == ["u2", "u6", "u8"]  # 3 of 4 on the mode (0.75 < 0.8); u6 split four ways
    assert data["items"][5] == {
        "item_id": "u6",
        "votes": {"1": 1, "2": 1, "3": 1, "4": 1},
        "modal": ["1", "2", "3", "4"],
        "agreement": 0.25,
        "reference": "1",
        "discuss": True,
    }
    first = data["raters"][0]  # A rated u6 '1', as the reference: one label on both sides
    assert (first["rater"], first["rated"], first["accuracy"], first["kappa"]) == ("A", 9, 1.0, None)
    assert "undefined" in first["kappa_note"]
