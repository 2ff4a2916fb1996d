"""Item analysis of knowledge checks: classical test theory statistics over plain inputs.

Pure functions over a response matrix (one row per attempt, one column per question, 1 right and 0
wrong, as `bank.Score.right`), so the report, the CLI and the tests share one implementation. An
unanswered question (None/NaN) counts as wrong everywhere: a labeler who skips a question does not
know it, and dropping the cell would make `p` and the totals disagree about who took the test.
Definitions follow ../shared/product.md "Metric and statistic definitions".
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from handlers.quiz.bank import Question

KELLEY_FRACTION = 0.27
HARD_P = 0.30
WEAK_D = 0.20
_TINY = 1e-12  # a variance this small is zero: the statistic is undefined, not huge


def scores(matrix: pd.DataFrame) -> pd.DataFrame:
    """The matrix as floats 0/1 with unanswered cells (None/NaN) as 0; anything else is an error."""
    frame = pd.DataFrame(matrix).astype(float).fillna(0.0)
    if not frame.isin([0.0, 1.0]).all().all():
        raise ValueError("a response matrix holds only 1 (right), 0 (wrong) or nothing (unanswered)")
    return frame


def difficulty(matrix: pd.DataFrame) -> pd.Series:
    """p = share of attempts that answered the question right (the "item facility"; higher is easier).
    Source: classical test theory, e.g. Crocker & Algina (1986), ch. 14. NaN with no attempts."""
    frame = scores(matrix)
    if frame.empty:
        return pd.Series(np.nan, index=frame.columns, dtype=float)
    return frame.mean(axis=0)


def group_size(n: int, fraction: float = KELLEY_FRACTION) -> int:
    """Attempts in each of the upper and lower groups: n·fraction rounded half up, at least 1."""
    if not 0 < fraction <= 0.5:
        raise ValueError("the group fraction must be in (0, 0.5]")
    return max(1, math.floor(n * fraction + 0.5))


def group_weights(
    totals: Sequence[float], fraction: float = KELLEY_FRACTION
) -> tuple[np.ndarray, np.ndarray]:
    """Membership (0..1) of each attempt in the upper and the lower group by total score.

    Kelley (1939, J. Educ. Psychol. 30:17-24) takes the top and bottom 27% of the ranked totals;
    each group holds exactly `group_size(n)` attempts. Attempts tied on the total at a cut share the
    places left equally (fractional membership): the result is the average over every way of breaking
    the tie, so it never depends on the order the rows came in.
    """
    values = np.round(np.asarray(totals, dtype=float), 9)  # totals of float credit compare equal
    size = group_size(len(values), fraction)
    return _top(values, size), _top(-values, size)


def _top(values: np.ndarray, size: int) -> np.ndarray:
    cut = np.sort(values)[::-1][size - 1]
    above, tied = values > cut, values == cut
    weights = above.astype(float)
    weights[tied] = (size - above.sum()) / tied.sum()
    return weights


def discrimination(matrix: pd.DataFrame, fraction: float = KELLEY_FRACTION) -> pd.Series:
    """D = p(upper group) − p(lower group), the groups the top and bottom `fraction` (27%, Kelley 1939)
    of attempts ranked by total score (number right); see `group_weights` for size and ties.
    D = (U − L) / n as in Ebel & Frisbie (1991), U and L the right answers in each group of n.
    NaN with fewer than two attempts (nobody to compare)."""
    frame = scores(matrix)
    if len(frame) < 2:
        return pd.Series(np.nan, index=frame.columns, dtype=float)
    upper, lower = group_weights(frame.sum(axis=1).to_numpy(), fraction)
    x = frame.to_numpy()
    return pd.Series((upper @ x) / upper.sum() - (lower @ x) / lower.sum(), index=frame.columns)


def point_biserial(matrix: pd.DataFrame, rest: bool = True) -> pd.Series:
    """Pearson r between the 0/1 item score and the total: r = cov(x, y) / (σx·σy).

    With `rest` (the default) y is the item-rest total, the total without that item, which removes
    the part-whole inflation of the item-total r (Henrysson 1963; "corrected item-total correlation").
    NaN when the item or y has zero variance (everyone right or wrong, or all totals equal): the
    correlation is undefined there, and a 0 would read as "does not discriminate".
    """
    frame = scores(matrix)
    x = frame.to_numpy()
    total = x.sum(axis=1, keepdims=True)
    y = total - x if rest else np.broadcast_to(total, x.shape)
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    sx, sy = np.sqrt((xc**2).mean(axis=0)), np.sqrt((yc**2).mean(axis=0))
    defined = (sx**2 > _TINY) & (sy**2 > _TINY)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(defined, (xc * yc).mean(axis=0) / (sx * sy), np.nan)
    return pd.Series(r, index=frame.columns, dtype=float)


def kr20(matrix: pd.DataFrame) -> float:
    """KR-20 = k/(k−1)·(1 − Σ p·q / σ²) (Kuder & Richardson 1937, Psychometrika 2:151-160), k the
    questions, q = 1 − p, σ² the population variance of the totals (divisor n, the same as p·q's).
    NaN for fewer than two questions or when every total is the same (σ² = 0)."""
    frame = scores(matrix)
    k = frame.shape[1]
    if k < 2 or frame.empty:
        return math.nan
    p = frame.mean(axis=0).to_numpy()
    variance = float(frame.sum(axis=1).var(ddof=0))
    if variance <= _TINY:
        return math.nan
    return k / (k - 1) * (1.0 - float((p * (1 - p)).sum()) / variance)


def wrong_options(question: Question) -> tuple[int, ...]:
    """The distractors of a choice question: options that do not earn full credit (single, true/false)
    or earn none (multiple answers, where a partly weighted option is part of the answer)."""
    match question.type:
        case "single" | "truefalse":
            return tuple(i for i, c in enumerate(question.choices) if not c.right)
        case "multiple":
            return tuple(i for i, c in enumerate(question.choices) if c.weight <= 0)
    return ()


def distractors(
    choices: pd.DataFrame,
    totals: pd.Series,
    wrong: Mapping[Hashable, Sequence[Hashable]],
    fraction: float = KELLEY_FRACTION,
) -> pd.DataFrame:
    """For each question in `wrong` and each of its wrong options, the share of the upper and of the
    lower group (as `group_weights`, by `totals`) and of all attempts that chose it.

    `choices`: one row per attempt (index as `totals`), one column per question; a cell is the option
    chosen, a collection of options (multiple answers), or None/NaN when unanswered (chose nothing).
    A working distractor draws more of the lower group than of the upper (Haladyna 2004, ch. 9);
    options nobody chose are listed too, with 0, since a distractor nobody picks does no work.
    """
    columns = ["question", "option", "upper", "lower", "all"]
    if choices.empty:
        return pd.DataFrame(columns=columns)
    missing = choices.index.difference(totals.index)
    if len(missing):
        raise ValueError(f"no total for attempts {list(missing)[:5]}")
    upper, lower = group_weights(totals.reindex(choices.index).to_numpy(), fraction)
    rows = []
    for question, options in wrong.items():
        cells = choices[question].tolist()
        for option in options:
            picked = np.array([_picked(cell, option) for cell in cells], dtype=float)
            rows.append(
                (
                    question,
                    option,
                    float(upper @ picked / upper.sum()),
                    float(lower @ picked / lower.sum()),
                    float(picked.mean()),
                )
            )
    return pd.DataFrame(rows, columns=columns)


def _picked(cell: object, option: Hashable) -> bool:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return False
    if isinstance(cell, Collection) and not isinstance(cell, str):
        return option in cell
    return bool(cell == option)


@dataclass(frozen=True)
class Flag:
    """A question a trainer should review, with every reason in words."""

    question: Hashable
    reasons: tuple[str, ...]


def flags(
    p: pd.Series,
    d: pd.Series,
    rpb: pd.Series,
    hard: float = HARD_P,
    weak: float = WEAK_D,
) -> list[Flag]:
    """Questions with p < 0.30, D < 0.20 or a negative point-biserial, in `p`'s order. A NaN statistic
    (undefined, e.g. everyone right) raises no flag: there is nothing to conclude from it."""
    found = []
    for question in p.index:
        reasons = []
        pv, dv, rv = p.get(question, np.nan), d.get(question, np.nan), rpb.get(question, np.nan)
        if pv < hard:
            reasons.append(f"hard: only {pv:.0%} answered it right (p < {hard:.2f})")
        if dv < weak:
            reasons.append(
                f"weak discrimination: the top group beat the bottom group by {dv:+.2f} (D < {weak:.2f})"
            )
        if rv < 0:
            reasons.append(
                f"negative point-biserial ({rv:+.2f}): labelers who did well overall tended to miss it;"
                " check the key and the wording"
            )
        if reasons:
            found.append(Flag(question, tuple(reasons)))
    return found


def summary(
    attempts: pd.DataFrame,
    pass_mark: float,
    by: Sequence[str] = ("vendor", "site"),
) -> pd.DataFrame:
    """Per group: attempts, labelers (distinct `user_id`, when given), mean and median score, pass rate.

    `attempts`: one row per attempt counted, with `credit` (share of the attempt's credit, 0..1, as
    `QuizAttempt.credit`) and the `by` columns; pass the rows to count (e.g. each labeler's first
    attempt). Passed = credit ≥ pass_mark (a 1e-9 tolerance, as bank scoring). A missing vendor or site
    stays a group of its own (NaN) rather than vanishing. `by=()` gives one overall row.
    """
    keys = list(by)
    columns = [*keys, "attempts", "labelers", "mean", "median", "pass_rate"]
    if attempts.empty:
        return pd.DataFrame(columns=columns)
    frame = attempts.assign(_passed=attempts["credit"] >= pass_mark - 1e-9, _one=1)
    known = "user_id" in frame
    if not known:
        frame = frame.assign(user_id=np.nan)
    grouped = frame.groupby(keys or "_one", dropna=False, sort=True)
    result = grouped.agg(
        attempts=("credit", "size"),
        labelers=("user_id", "nunique"),
        mean=("credit", "mean"),
        median=("credit", "median"),
        pass_rate=("_passed", "mean"),
    ).reset_index()
    if not known:
        result["labelers"] = np.nan  # unknown, not zero
    return result[columns]
