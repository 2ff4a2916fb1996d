"""95% Wilson score intervals over whole columns (statsmodels), NaN where nothing was audited."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from statsmodels.stats.proportion import proportion_confint

ALPHA = 0.05


def wilson(successes: ArrayLike, totals: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of successes/totals, element by element."""
    count = np.asarray(successes, dtype=float)
    nobs = np.asarray(totals, dtype=float)
    empty = nobs <= 0
    low, high = proportion_confint(count, np.where(empty, 1, nobs), alpha=ALPHA, method="wilson")
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)
