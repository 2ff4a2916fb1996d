"""Agreement statistics for a calibration session: who agrees with whom, and with the reference.

Pure: ratings in, an `AgreementReport` out. Fleiss' and Cohen's kappa come from statsmodels;
Krippendorff's alpha (nominal, missing ratings allowed) is computed here from the coincidence matrix
of K. Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), because the `krippendorff`
package is GPL-3.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from statsmodels.stats import inter_rater

Rating = tuple[str, str, str]  # (item_id, rater, label)

DEFAULT_THRESHOLD = 0.7


@dataclass(frozen=True)
class ItemAgreement:
    """One item's votes; `discuss` puts it on the discussion list."""

    item_id: str
    votes: dict[str, int]  # label -> count, most first
    modal: tuple[str, ...]  # the most chosen label(s)
    agreement: float  # share of the item's ratings on the (first) modal label; 0.0 with no ratings
    reference: str | None
    discuss: bool  # below the threshold, or the mode is not the reference

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "votes": dict(self.votes),
            "modal": list(self.modal),
            "agreement": self.agreement,
            "reference": self.reference,
            "discuss": self.discuss,
        }


@dataclass(frozen=True)
class RaterAgreement:
    """One participant against the reference, over the items that have one and that they rated."""

    rater: str
    rated: int
    accuracy: float | None  # against the reference, over items with one
    kappa: float | None  # Cohen's, against the reference
    kappa_note: str = ""  # why kappa is None, else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rater": self.rater,
            "rated": self.rated,
            "accuracy": self.accuracy,
            "kappa": self.kappa,
            "kappa_note": self.kappa_note,
        }


@dataclass(frozen=True)
class AgreementReport:
    """A session's statistics; a None statistic always comes with the note saying why."""

    items: tuple[ItemAgreement, ...]
    raters: tuple[RaterAgreement, ...]
    fleiss: float | None
    fleiss_note: str  # why None ("items have 3 to 5 ratings"), else ""
    alpha: float | None  # Krippendorff's, nominal
    alpha_note: str
    threshold: float = DEFAULT_THRESHOLD

    @property
    def discussion(self) -> tuple[ItemAgreement, ...]:
        return tuple(item for item in self.items if item.discuss)

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": [item.as_dict() for item in self.items],
            "raters": [rater.as_dict() for rater in self.raters],
            "fleiss": self.fleiss,
            "fleiss_note": self.fleiss_note,
            "alpha": self.alpha,
            "alpha_note": self.alpha_note,
            "threshold": self.threshold,
            "discussion": [item.item_id for item in self.discussion],
        }


class _Matrix:
    """Ratings as integer codes: items × raters, -1 where a rater did not rate an item."""

    def __init__(self, ratings: Iterable[Rating], extra_items: Iterable[str] = ()) -> None:
        items: dict[str, int] = {}
        raters: dict[str, int] = {}
        labels: dict[str, int] = {}
        cells: list[tuple[int, int, int]] = []
        seen: set[tuple[int, int]] = set()
        for item_id, rater, label in ratings:
            i = items.setdefault(item_id, len(items))
            r = raters.setdefault(rater, len(raters))
            if (i, r) in seen:
                raise ValueError(f"{rater!r} rated item {item_id!r} more than once")
            seen.add((i, r))
            cells.append((i, r, labels.setdefault(label, len(labels))))
        for item_id in extra_items:
            items.setdefault(item_id, len(items))
        self.items = list(items)
        self.raters = list(raters)
        self.labels = list(labels)
        self.codes = np.full((len(items), len(raters)), -1, dtype=np.int64)
        if cells:
            i, r, c = np.array(cells, dtype=np.int64).T
            self.codes[i, r] = c

    def counts(self) -> np.ndarray:
        """Items × labels: how many ratings each item got on each label."""
        counts = np.zeros((len(self.items), len(self.labels)), dtype=np.int64)
        rows, cols = np.nonzero(self.codes >= 0)
        np.add.at(counts, (rows, self.codes[rows, cols]), 1)
        return counts


def krippendorff_alpha_nominal(ratings: Iterable[Rating]) -> tuple[float | None, str]:
    """Krippendorff's alpha for nominal labels, missing ratings allowed: (alpha, why None)."""
    matrix = _Matrix(ratings)
    return _alpha(matrix.counts(), matrix.labels)


def _alpha(counts: np.ndarray, labels: list[str]) -> tuple[float | None, str]:
    per_item = counts.sum(axis=1)
    pairable = counts[per_item >= 2]  # a unit with one rating has no one to agree with
    if len(pairable) == 0:
        return None, "no item has two ratings"
    m = pairable.sum(axis=1).astype(float)
    weighted = pairable / (m - 1)[:, None]
    # o_ck = Σ_u n_uc (n_uk − [c = k]) / (m_u − 1): every ordered pair of ratings within a unit.
    coincidences = pairable.T @ weighted - np.diag(weighted.sum(axis=0))
    n_c = coincidences.sum(axis=1)
    n = n_c.sum()
    expected = n * n - (n_c * n_c).sum()  # Σ_{c≠k} n_c n_k
    if expected == 0:
        return None, _one_label_note(labels[int(np.argmax(n_c))])
    observed = n - np.trace(coincidences)  # Σ_{c≠k} o_ck
    return float(1 - (n - 1) * observed / expected), ""


def _one_label_note(label: str) -> str:
    # Chance agreement is total, so kappa and alpha are 0/0: reported as None, never as 1.0.
    return f"every rating is {label!r}: complete agreement, but nothing to tell from chance (undefined)"


def fleiss_kappa(ratings: Iterable[Rating]) -> tuple[float | None, str]:
    """Fleiss' kappa when every item has the same number of ratings: (kappa, why None)."""
    return _fleiss(_Matrix(ratings))


def _fleiss(matrix: _Matrix) -> tuple[float | None, str]:
    per_item = (matrix.codes >= 0).sum(axis=1)
    rated = per_item[per_item > 0]
    if len(rated) == 0:
        return None, "no ratings"
    low, high = int(rated.min()), int(rated.max())
    if low != high:
        return None, f"items have {low} to {high} ratings (Fleiss' kappa needs the same number on every item)"
    if low < 2:
        return None, "each item has one rating"
    if len(matrix.labels) < 2:
        return None, _one_label_note(matrix.labels[0])
    rows = matrix.codes[per_item > 0]
    # Fleiss' kappa ignores who rated: each item's ratings, whoever gave them, side by side.
    given = np.sort(rows, axis=1)[:, -low:]
    table, _ = inter_rater.aggregate_raters(given, n_cat=len(matrix.labels))
    return float(inter_rater.fleiss_kappa(table, method="fleiss")), ""


def cohen_kappa(rater_labels: Sequence[str], reference_labels: Sequence[str]) -> tuple[float | None, str]:
    """Cohen's kappa of one participant against the reference, paired by position: (kappa, why None)."""
    if len(rater_labels) != len(reference_labels):
        raise ValueError("rater_labels and reference_labels must pair up")
    if not rater_labels:
        return None, "no rated item has a reference"
    labels = {label: code for code, label in enumerate(dict.fromkeys([*rater_labels, *reference_labels]))}
    pairs = np.array([[labels[a], labels[b]] for a, b in zip(rater_labels, reference_labels, strict=True)])
    table, _ = inter_rater.to_table(pairs, bins=len(labels))
    total = table.sum()
    chance = float((table.sum(axis=1) / total) @ (table.sum(axis=0) / total))
    if chance >= 1.0:
        return None, _one_label_note(next(iter(labels)))
    return float(inter_rater.cohens_kappa(table, return_results=False)), ""


def _item(
    item_id: str, row: np.ndarray, labels: list[str], reference: str | None, threshold: float
) -> ItemAgreement:
    order = sorted((i for i in range(len(labels)) if row[i] > 0), key=lambda i: (-row[i], labels[i]))
    votes = {labels[i]: int(row[i]) for i in order}
    total = int(row.sum())
    if total == 0:
        return ItemAgreement(item_id, {}, (), 0.0, reference, False)
    top = int(row[order[0]])
    modal = tuple(labels[i] for i in order if row[i] == top)
    agreement = top / total
    disagrees = reference is not None and modal != (reference,)
    return ItemAgreement(item_id, votes, modal, agreement, reference, agreement < threshold or disagrees)


def _rater(matrix: _Matrix, r: int, references: Mapping[str, str | None]) -> RaterAgreement:
    codes = matrix.codes[:, r]
    given = [(matrix.items[i], matrix.labels[codes[i]]) for i in np.flatnonzero(codes >= 0)]
    paired = [(label, references[item]) for item, label in given if references.get(item) is not None]
    if not paired:
        return RaterAgreement(matrix.raters[r], len(given), None, None, "no rated item has a reference")
    mine = [label for label, _ in paired]
    theirs = [str(reference) for _, reference in paired]
    accuracy = float(np.mean([a == b for a, b in zip(mine, theirs, strict=True)]))
    kappa, note = cohen_kappa(mine, theirs)
    return RaterAgreement(matrix.raters[r], len(given), accuracy, kappa, note)


def session_statistics(
    ratings: Iterable[Rating],
    references: Mapping[str, str | None] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> AgreementReport:
    """Every statistic for one session; items with a reference but no ratings are listed with no votes."""
    references = dict(references or {})
    matrix = _Matrix(ratings, extra_items=references)
    counts = matrix.counts()
    items = tuple(
        _item(item_id, counts[i], matrix.labels, references.get(item_id), threshold)
        for i, item_id in enumerate(matrix.items)
    )
    raters = tuple(_rater(matrix, r, references) for r in range(len(matrix.raters)))
    fleiss, fleiss_note = _fleiss(matrix)
    alpha, alpha_note = _alpha(counts, matrix.labels)
    return AgreementReport(items, raters, fleiss, fleiss_note, alpha, alpha_note, threshold)
