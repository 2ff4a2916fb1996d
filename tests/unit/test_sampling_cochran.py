"""Cochran's sample size against published worked examples (Cochran 1977; Israel 1992, "Determining Sample
Size", University of Florida IFAS PEOD6) and by-hand finite-population corrections."""

from __future__ import annotations

import pytest

from handlers.sampling.cochran import cochran_size
from handlers.sampling.iso2859 import SamplingError


def test_95_percent_five_points_half_is_385() -> None:
    size = cochran_size(10**9, 0.05)
    # z = 1.959964 (two-sided 95%); z² = 3.841459; n0 = 3.841459 · 0.25 / 0.0025 = 384.1459.
    assert size.z == pytest.approx(1.959964, abs=1e-6)
    assert size.n0 == pytest.approx(384.1459, abs=1e-4)
    assert size.n == 385


def test_finite_population_1000_gives_278() -> None:
    # 384.1459 / (1 + 383.1459 / 1000) = 384.1459 / 1.3831459 = 277.73 → 278.
    assert cochran_size(1000, 0.05).n == 278


def test_israel_population_2000_gives_323() -> None:
    # Israel (1992): 385 / (1 + 384/2000) = 323 with the rounded n0;
    # unrounded: 384.1459 / 1.1915729 = 322.39 → 323.
    assert cochran_size(2000, 0.05).n == 323


def test_other_confidences() -> None:
    # 90%: z = 1.644854, n0 = 2.705543 · 100 = 270.55 → 271; 99%: z = 2.575829, n0 = 663.49 → 664.
    assert cochran_size(10**9, 0.05, confidence=0.90).n == 271
    assert cochran_size(10**9, 0.05, confidence=0.99).n == 664


def test_expected_proportion_shrinks_the_sample() -> None:
    # p = 0.1: n0 = 3.841459 · 0.09 / 0.0009 = 384.1459 (±3 points) …
    assert cochran_size(10**9, 0.03, p=0.1).n == 385
    # … and ±5 points with p = 0.2: 3.841459 · 0.16 / 0.0025 = 245.85 → 246.
    assert cochran_size(10**9, 0.05, p=0.2).n == 246


def test_small_populations() -> None:
    # N = 50: 384.1459 / (1 + 383.1459 / 50) = 384.1459 / 8.662918 = 44.34 → 45.
    assert cochran_size(50, 0.05).n == 45
    # N = 10: 384.1459 / 39.31459 = 9.77 → 10, the whole population.
    assert cochran_size(10, 0.05).n == 10
    assert cochran_size(1, 0.05).n == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population": 0, "margin": 0.05}, "the population must hold at least 1 item (got 0)"),
        ({"population": 100, "margin": 5}, "the margin must be between 0 and 1, exclusive (got 5)"),
        ({"population": 100, "margin": 0}, "the margin must be between 0 and 1"),
        ({"population": 100, "margin": 0.05, "confidence": 95}, "the confidence must be between 0 and 1"),
        ({"population": 100, "margin": 0.05, "p": 1}, "p, the expected proportion, must be between 0 and 1"),
    ],
)
def test_bad_input_is_refused_clearly(kwargs: dict, message: str) -> None:
    with pytest.raises(SamplingError) as raised:
        cochran_size(**kwargs)
    assert message in str(raised.value)
