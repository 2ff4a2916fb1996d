"""Cochran's sample size for estimating a proportion, with the finite-population correction."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from handlers.sampling.iso2859 import SamplingError


@dataclass(frozen=True)
class CochranSize:
    """n0 = z²·p(1−p)/e² (unrounded) and n = n0 / (1 + (n0 − 1)/N), rounded up."""

    population: int
    margin: float
    confidence: float
    p: float
    z: float
    n0: float
    n: int


def _inside_unit_interval(name: str, value: float, example: str) -> None:
    if not (0 < value < 1):
        raise SamplingError(
            f"{name} must be between 0 and 1, exclusive (got {value:g}); for example {example}"
        )


def cochran_size(population: int, margin: float, confidence: float = 0.95, p: float = 0.5) -> CochranSize:
    """How many items to audit so a proportion is known within ±margin at the given two-sided confidence."""
    if population < 1:
        raise SamplingError(f"the population must hold at least 1 item (got {population})")
    _inside_unit_interval("the margin", margin, "0.05 for ±5 points")
    _inside_unit_interval("the confidence", confidence, "0.95 for 95%")
    _inside_unit_interval("p, the expected proportion,", p, "0.5 when unknown (the largest sample)")
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)  # the standard library: no SciPy needed
    n0 = z * z * p * (1 - p) / (margin * margin)
    corrected = n0 / (1 + (n0 - 1) / population)
    # A hair of tolerance so float noise (278.0000000001) does not add an item.
    n = max(1, math.ceil(corrected - 1e-9))
    return CochranSize(population=population, margin=margin, confidence=confidence, p=p, z=z, n0=n0, n=n)
