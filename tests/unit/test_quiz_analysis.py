"""Item analysis: each statistic against a plain independent computation on seeded random matrices,
against small published worked examples (source and the numbers taken in each docstring), and on the
edge cases a small quiz produces (one attempt, all right, all wrong, ties at the cut, unanswered)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from handlers.quiz import analysis
from handlers.quiz.bank import Choice, Question

# ---------------------------------------------------------------- published worked examples

WUENSCH = """\
A 1 1 1 1 1 1 0 1 1 0
B 1 0 1 1 0 1 1 1 0 1
C 1 1 1 1 0 1 1 0 0 1
D 0 0 1 0 0 0 1 0 0 0
E 0 0 0 0 0 1 0 0 1 0
F 1 1 1 0 1 1 1 1 1 1
G 1 1 0 1 1 1 0 1 1 1
H 1 1 1 1 1 1 1 1 0 1
I 0 1 0 1 1 1 1 1 0 1
J 1 1 0 1 1 0 1 1 1 0"""

# Upper group (Joe..Eliza) then lower group (Zoe..Anita), as printed.
WORKSHEET = """\
Joe     1 1 1 1 1 1 1 1 1 1
Dave    1 1 1 1 1 1 1 1 0 1
Sujie   1 1 0 1 1 1 1 1 0 0
Darrell 0 1 1 1 1 1 0 1 0 1
Eliza   1 1 1 0 1 1 1 0 0 1
Zoe     1 1 1 0 1 1 0 1 0 0
Grace   0 1 1 0 1 1 0 1 0 1
Hannah  0 1 1 1 0 0 1 0 1 0
Ricky   1 1 1 0 1 0 0 0 0 1
Anita   0 1 0 0 0 1 0 0 1 0"""


def table(text: str) -> pd.DataFrame:
    rows = [line.split() for line in text.splitlines()]
    columns = [f"Q{i}" for i in range(1, len(rows[0]))]
    return pd.DataFrame(
        [[int(v) for v in row[1:]] for row in rows], index=[r[0] for r in rows], columns=columns
    )


def test_kr20_wuensch_ten_students_ten_items():
    """K. L. Wuensch, "The Kuder-Richardson 20", East Carolina University StatHelp, KR20.txt
    (https://core.ecu.edu/wuenschk/StatHelp/KR20.txt): 10 students × 10 items, printed
    p = .7 .7 .6 .7 .6 .8 .7 .7 .5 .6, p·q = .21 .21 .24 .21 .24 .16 .21 .21 .25 .24, totals
    8 7 7 2 2 9 8 9 7 7 and total variance 5.84 (divisor n). The page leaves the last step to the
    reader, so it is written out here: Σpq = 5·.21 + 3·.24 + .16 + .25 = 2.18;
    KR-20 = 10/9 · (1 − 2.18/5.84) = 1.1111 · 0.62671 = 0.69635."""
    m = table(WUENSCH)
    assert analysis.difficulty(m).tolist() == pytest.approx(
        [0.7, 0.7, 0.6, 0.7, 0.6, 0.8, 0.7, 0.7, 0.5, 0.6]
    )
    p = analysis.difficulty(m)
    assert (p * (1 - p)).tolist() == pytest.approx(
        [0.21, 0.21, 0.24, 0.21, 0.24, 0.16, 0.21, 0.21, 0.25, 0.24]
    )
    assert m.sum(axis=1).tolist() == [8, 7, 7, 2, 2, 9, 8, 9, 7, 7]
    assert m.sum(axis=1).var(ddof=0) == pytest.approx(5.84)
    assert analysis.kr20(m) == pytest.approx(10 / 9 * (1 - 2.18 / 5.84))
    assert analysis.kr20(m) == pytest.approx(0.69635, abs=5e-6)


def test_difficulty_and_discrimination_item_analysis_worksheet():
    """ "Item Analysis Worksheet" (studylib.net/doc/25270846/item-anaylsis-): ten students, ten
    questions; the five highest totals are the upper group, the five lowest the lower group, so the
    fraction is 0.5 here. Printed per question: right answers upper / lower, p = (U+L)/10, D = (U−L)/5:
    Q1 4/2 .60 0.4; Q2 5/5 1 0; Q3 4/4 .80 0; Q4 4/1 .50 0.6; Q5 5/3 .80 0.4; Q6 5/3 .80 0.4;
    Q7 4/1 .50 0.6; Q8 4/2 .60 0.4; Q9 1/2 .30 −0.2; Q10 4/2 .60 0.4."""
    m = table(WORKSHEET)
    assert analysis.difficulty(m).tolist() == pytest.approx([0.6, 1, 0.8, 0.5, 0.8, 0.8, 0.5, 0.6, 0.3, 0.6])
    d = analysis.discrimination(m, fraction=0.5)
    assert d.tolist() == pytest.approx([0.4, 0, 0, 0.6, 0.4, 0.4, 0.6, 0.4, -0.2, 0.4])
    upper, lower = analysis.group_weights(m.sum(axis=1), fraction=0.5)
    assert list(m.index[upper == 1]) == ["Joe", "Dave", "Sujie", "Darrell", "Eliza"]
    assert list(m.index[lower == 1]) == ["Zoe", "Grace", "Hannah", "Ricky", "Anita"]
    # The worksheet's own verdict: Q9 is the one to drop (D −0.2); Q2 and Q3 do not discriminate.
    flagged = {
        f.question: f.reasons for f in analysis.flags(analysis.difficulty(m), d, pd.Series(0.1, d.index))
    }
    assert set(flagged) == {"Q2", "Q3", "Q9"}
    assert not any(r.startswith("hard") for r in flagged["Q9"])  # p = .30 is not below .30


def test_point_biserial_brown_example():
    """J. D. Brown, "Point-biserial correlation coefficients", Shiken: JALT Testing & Evaluation SIG
    Newsletter 5(3), 2001, pp. 12-15 (https://hosted.jalt.org/test/bro_12.htm), Table 2: eight students
    with totals 50 45 45 40 35 30 30 25 (mean 37.50, SD 8.29 with divisor n); item 1 right for the top
    four, item 2 for the bottom four, item 3 for all. Printed r_pbi (item with the whole-test total):
    .91, −.91, .00. The totals come from further items ("Item 4, 5, 6..."), rebuilt here as filler
    columns so the matrix's totals are the printed ones. The exact r is 0.9045 (Brown's formula with his
    printed inputs, 15 / 8.29 · 0.5, gives 0.9047), so the printed .91 is rounded up: checked to 0.01.
    Item 3 has no variance: the printed .00 is Brown's formula with q = 0; this module says NaN
    (undefined) instead, on purpose."""
    totals = [50, 45, 45, 40, 35, 30, 30, 25]
    items = pd.DataFrame({"i1": [1, 1, 1, 1, 0, 0, 0, 0], "i2": [0, 0, 0, 0, 1, 1, 1, 1], "i3": [1] * 8})
    filler = [[1] * (t - 2) + [0] * (60 - (t - 2)) for t in totals]
    m = pd.concat([items, pd.DataFrame(filler, columns=[f"f{i}" for i in range(60)])], axis=1)
    assert m.sum(axis=1).tolist() == totals
    assert m.sum(axis=1).mean() == 37.5 and m.sum(axis=1).std(ddof=0) == pytest.approx(8.29, abs=0.005)
    r = analysis.point_biserial(m, rest=False)
    assert r["i1"] == pytest.approx(0.91, abs=0.01)
    assert r["i2"] == pytest.approx(-0.91, abs=0.01)
    assert math.isnan(r["i3"])
    # Brown's own formula: (Mp − Mq) / St · √(pq) = (45 − 30) / 8.29 · 0.5.
    assert r["i1"] == pytest.approx((45 - 30) / math.sqrt(68.75) * 0.5)


# ---------------------------------------------------------------- by hand, every step written out


def test_discrimination_ties_at_the_cut_wuensch_by_hand():
    """The Wuensch matrix has ties at both 27% cuts. n = 10, group size = round(2.7) = 3.
    Totals: F 9, H 9, A 8, G 8, B 7, C 7, I 7, J 7, D 2, E 2.
    Upper: F and H, then A and G tied at 8 share the one place left: ½ each.
    Lower: D and E, then B, C, I, J tied at 7 share the one place left: ¼ each.
    Item 1 (A1 B1 C1 D0 E0 F1 G1 H1 I0 J1): upper (1 + 1 + ½·1 + ½·1)/3 = 1;
    lower (0 + 0 + ¼·(1 + 1 + 0 + 1))/3 = 0.25; D = 0.75.
    Item 3 (A1 B1 C1 D1 E0 F1 G0 H1 I0 J0): upper (1 + 1 + ½·1 + ½·0)/3 = 0.8333;
    lower (1 + 0 + ¼·(1 + 1 + 0 + 0))/3 = 0.5; D = 0.3333."""
    m = table(WUENSCH)
    upper, lower = analysis.group_weights(m.sum(axis=1))
    assert dict(zip(m.index, upper, strict=True)) == {
        "A": 0.5, "B": 0, "C": 0, "D": 0, "E": 0, "F": 1, "G": 0.5, "H": 1, "I": 0, "J": 0,
    }  # fmt: skip
    assert dict(zip(m.index, lower, strict=True)) == {
        "A": 0, "B": 0.25, "C": 0.25, "D": 1, "E": 1, "F": 0, "G": 0, "H": 0, "I": 0.25, "J": 0.25,
    }  # fmt: skip
    d = analysis.discrimination(m)
    assert d["Q1"] == pytest.approx(0.75)
    assert d["Q3"] == pytest.approx(2.5 / 3 - 0.5)


def test_distractors_by_hand():
    """Six attempts, question q1 keyed C, options A B C D; the totals rank u1 > u2 > ... > u6.
    Group size round(6 · 0.27) = round(1.62) = 2: upper u1, u2; lower u5, u6.
    Chosen: u1 C, u2 A, u3 B, u4 A, u5 A, u6 unanswered.
    A: upper 1/2, lower 1/2 (u5), all 3/6. B: upper 0, lower 0, all 1/6. D: nobody, listed with 0.
    An unanswered question chose no option: it lowers every share of its group, like a wrong answer."""
    choices = pd.DataFrame({"q1": ["C", "A", "B", "A", "A", None]}, index=[f"u{i}" for i in range(1, 7)])
    totals = pd.Series([6, 5, 4, 3, 2, 1], index=choices.index)
    table_ = analysis.distractors(choices, totals, {"q1": ["A", "B", "D"]})
    assert table_.to_dict("records") == [
        {"question": "q1", "option": "A", "upper": 0.5, "lower": 0.5, "all": 0.5},
        {"question": "q1", "option": "B", "upper": 0.0, "lower": 0.0, "all": pytest.approx(1 / 6)},
        {"question": "q1", "option": "D", "upper": 0.0, "lower": 0.0, "all": 0.0},
    ]


def test_distractors_multiple_answers_and_option_indexes():
    """Cells may be option indexes (as `Answer.chosen`) and, for multiple answers, several of them.
    Four attempts, size round(1.08) = 1: upper a1 (total 4), lower a4 (total 1).
    Option 2 (wrong) ticked by a2 and a4: upper 0, lower 1, all 2/4."""
    choices = pd.DataFrame({"m": [(0, 1), (0, 2), (1,), (2,)]}, index=["a1", "a2", "a3", "a4"])
    totals = pd.Series([4, 3, 2, 1], index=choices.index)
    row = analysis.distractors(choices, totals, {"m": [2]}).iloc[0]
    assert (row.upper, row.lower, row["all"]) == (0.0, 1.0, 0.5)


def test_distractors_need_a_total_for_every_attempt():
    choices = pd.DataFrame({"q": [0, 1]}, index=["a1", "a2"])
    with pytest.raises(ValueError, match="no total"):
        analysis.distractors(choices, pd.Series([1], index=["a1"]), {"q": [1]})


def test_wrong_options_from_the_bank():
    single = Question(
        "q1", "single", "Which label?", choices=(Choice("a"), Choice("b", 1.0), Choice("c", 0.5))
    )
    multiple = Question(
        "q2", "multiple", "Which apply?", choices=(Choice("a", 0.5), Choice("b", 0.5), Choice("c", -0.5))
    )
    assert analysis.wrong_options(single) == (0, 2)  # half credit is still not the right answer
    assert analysis.wrong_options(multiple) == (2,)
    assert analysis.wrong_options(Question("q3", "short", "Name it", choices=(Choice("x", 1.0),))) == ()


def test_flags_reasons_in_words_and_nan_never_flags():
    p = pd.Series({"a": 0.25, "b": 0.9, "c": 0.6, "d": 1.0})
    d = pd.Series({"a": 0.5, "b": 0.1, "c": 0.4, "d": np.nan})
    r = pd.Series({"a": 0.3, "b": -0.2, "c": 0.35, "d": np.nan})
    found = analysis.flags(p, d, r)
    assert [f.question for f in found] == ["a", "b"]
    assert found[0].reasons == ("hard: only 25% answered it right (p < 0.30)",)
    assert found[1].reasons[0].startswith("weak discrimination") and "+0.10" in found[1].reasons[0]
    assert found[1].reasons[1].startswith("negative point-biserial (-0.20)")


def test_summary_per_vendor_and_site():
    """Scores are shares of credit (as `QuizAttempt.credit`), the pass mark a share too (`Topic`).
    acme/a1: 0.9, 0.5, 0.8 (0.1 + 0.7 in floating point) → mean 0.7333, median 0.8, 2 of 3 pass.
    beta/b1: 1.0 → 1 pass. No vendor: kept as its own group, not dropped."""
    attempts = pd.DataFrame(
        {
            "user_id": ["U01", "U02", "U02", "U03", "U04"],
            "vendor": ["acme", "acme", "acme", "beta", None],
            "site": ["a1", "a1", "a1", "b1", None],
            "credit": [0.9, 0.5, 0.1 + 0.7, 1.0, 0.2],
        }
    )
    out = analysis.summary(attempts, pass_mark=0.8)
    acme = out[out.vendor == "acme"].iloc[0]
    assert (acme.attempts, acme.labelers) == (3, 2)
    assert acme["mean"] == pytest.approx(2.2 / 3) and acme["median"] == pytest.approx(0.8)
    assert acme.pass_rate == pytest.approx(2 / 3)
    assert out[out.vendor == "beta"].iloc[0].pass_rate == 1.0
    assert out.vendor.isna().sum() == 1 and out[out.vendor.isna()].iloc[0].pass_rate == 0.0
    overall = analysis.summary(attempts.drop(columns="user_id"), pass_mark=0.8, by=())
    assert overall.attempts.tolist() == [5] and math.isnan(overall.labelers.iloc[0])
    assert overall.pass_rate.iloc[0] == pytest.approx(3 / 5)
    assert analysis.summary(attempts.iloc[:0], pass_mark=0.8).empty


# ---------------------------------------------------------------- independent computations


def random_matrix(seed: int, n: int, k: int, missing: float = 0.0) -> pd.DataFrame:
    """Answers driven by a latent ability so the statistics are not all near zero."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=(n, 1))
    hardness = rng.normal(size=(1, k))
    right = (rng.random((n, k)) < 1 / (1 + np.exp(-(ability - hardness) * 1.5))).astype(object)
    right[rng.random((n, k)) < missing] = None
    return pd.DataFrame(right, columns=[f"q{j}" for j in range(k)])


def plain(m: pd.DataFrame) -> list[list[int]]:
    return [[1 if v == 1 else 0 for v in row] for row in m.itertuples(index=False)]


def group_mean(column: list[int], totals: list[int], size: int, top: bool) -> float:
    """Mean of `column` over the top/bottom `size` attempts by `totals`, averaged over every way to
    break the tie at the cut (all equally likely): the definition the fractional weights must equal."""
    order = sorted(range(len(column)), key=lambda i: totals[i], reverse=top)
    cut = totals[order[size - 1]]
    sure = [i for i in order if (totals[i] > cut if top else totals[i] < cut)]
    tied = [i for i in order if totals[i] == cut]
    means = [
        sum(column[i] for i in [*sure, *c]) / size for c in itertools.combinations(tied, size - len(sure))
    ]
    return sum(means) / len(means)


@pytest.mark.parametrize("seed,n,k", [(1, 12, 6), (2, 30, 8), (3, 9, 5), (4, 40, 10)])
def test_against_plain_loops(seed: int, n: int, k: int):
    m = random_matrix(seed, n, k, missing=0.05)
    rows = plain(m)
    size = max(1, int(n * 0.27 + 0.5))

    p = [sum(r[j] for r in rows) / n for j in range(k)]
    assert analysis.difficulty(m).tolist() == pytest.approx(p)

    totals = [sum(r) for r in rows]
    d = []
    for j in range(k):
        column = [r[j] for r in rows]
        d.append(group_mean(column, totals, size, True) - group_mean(column, totals, size, False))
    assert analysis.discrimination(m).tolist() == pytest.approx(d)

    x = np.array(rows, dtype=float)
    for rest in (True, False):
        expected = []
        for j in range(k):
            y = x.sum(axis=1) - (x[:, j] if rest else 0)
            ok = x[:, j].std() > 0 and y.std() > 0
            expected.append(np.corrcoef(x[:, j], y)[0, 1] if ok else np.nan)
        assert analysis.point_biserial(m, rest=rest).tolist() == pytest.approx(expected, nan_ok=True)

    # Cronbach's alpha with sample (n − 1) variances: the other route to the same coefficient.
    alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert analysis.kr20(m) == pytest.approx(alpha)


def test_distractors_against_plain_loops():
    rng = np.random.default_rng(7)
    n = 23
    chosen = pd.DataFrame(
        {"q1": rng.integers(0, 4, n).astype(object), "q2": rng.integers(0, 3, n).astype(object)}
    )
    chosen.iloc[[3, 8], 0] = None
    totals = pd.Series(rng.integers(0, 6, n), index=chosen.index)
    wrong = {"q1": [0, 1, 3], "q2": [1, 2]}
    out = analysis.distractors(chosen, totals, wrong).set_index(["question", "option"])
    size = int(n * 0.27 + 0.5)
    for question, options in wrong.items():
        for option in options:
            column = [int(c is not None and c == option) for c in chosen[question]]
            upper = group_mean(column, totals.tolist(), size, True)
            lower = group_mean(column, totals.tolist(), size, False)
            got = out.loc[(question, option)]
            assert (got.upper, got.lower) == (pytest.approx(upper), pytest.approx(lower))
            assert got["all"] == pytest.approx(sum(column) / n)


def test_row_order_never_changes_the_result():
    m = random_matrix(11, 25, 7)
    shuffled = m.sample(frac=1.0, random_state=3)
    for stat in (analysis.difficulty, analysis.discrimination, analysis.point_biserial):
        pd.testing.assert_series_equal(stat(m), stat(shuffled))
    assert analysis.kr20(m) == pytest.approx(analysis.kr20(shuffled))


# ---------------------------------------------------------------- edge cases


def test_unanswered_counts_as_wrong():
    answered = pd.DataFrame({"a": [1, 0, 1, 0], "b": [1, 1, 0, 0], "c": [1, 0, 0, 0]})
    skipped = answered.astype(object).where(answered == 1, None)  # every wrong answer left blank
    assert skipped.isna().sum().sum() == 7
    for stat in (analysis.difficulty, analysis.discrimination, analysis.point_biserial):
        pd.testing.assert_series_equal(stat(skipped), stat(answered).astype(float))
    assert analysis.kr20(skipped) == pytest.approx(analysis.kr20(answered))


def test_one_attempt():
    m = pd.DataFrame({"a": [1], "b": [0]})
    assert analysis.difficulty(m).tolist() == [1.0, 0.0]
    assert analysis.discrimination(m).isna().all()  # nobody to compare with
    assert analysis.point_biserial(m).isna().all()
    assert math.isnan(analysis.kr20(m))
    assert analysis.group_size(1) == 1


@pytest.mark.parametrize("value", [0, 1])
def test_everyone_right_or_everyone_wrong(value: int):
    m = pd.DataFrame(np.full((8, 4), value), columns=list("abcd"))
    assert (analysis.difficulty(m) == value).all()
    assert (analysis.discrimination(m) == 0).all()  # everyone tied: both groups look the same
    assert analysis.point_biserial(m).isna().all()
    assert math.isnan(analysis.kr20(m))
    assert analysis.flags(analysis.difficulty(m), analysis.discrimination(m), analysis.point_biserial(m))


def test_one_item_constant_and_others_not():
    m = pd.DataFrame({"easy": [1, 1, 1, 1], "b": [1, 1, 0, 0], "c": [1, 0, 1, 0]})
    r = analysis.point_biserial(m)
    assert math.isnan(r["easy"]) and not math.isnan(r["b"])


def test_kr20_needs_two_questions():
    assert math.isnan(analysis.kr20(pd.DataFrame({"a": [1, 0, 1]})))
    assert math.isnan(analysis.kr20(pd.DataFrame(columns=["a", "b"])))


def test_empty_matrix():
    m = pd.DataFrame(columns=["a", "b"])
    assert analysis.difficulty(m).isna().all() and analysis.discrimination(m).isna().all()


def test_group_size_rounds_half_up_and_is_at_least_one():
    assert [analysis.group_size(n) for n in (1, 2, 3, 10, 50, 100, 120, 150)] == [1, 1, 1, 3, 14, 27, 32, 41]
    with pytest.raises(ValueError):
        analysis.group_size(10, fraction=0.6)


def test_only_zero_one_or_blank():
    with pytest.raises(ValueError, match="only 1"):
        analysis.difficulty(pd.DataFrame({"a": [1, 0.5]}))
    with pytest.raises(ValueError):
        analysis.difficulty(pd.DataFrame({"a": ["yes", 0]}))
