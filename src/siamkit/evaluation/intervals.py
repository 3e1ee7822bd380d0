"""95% confidence intervals for a mean accuracy.

``normal_ci``: the mean of per-episode accuracies plus or minus 1.96 standard errors (central limit
theorem over independent episodes). ``wilson_ci``: Wilson's (1927) score interval for a binomial
proportion, which stays inside [0, 1] and behaves near 0 and 1 where the normal one does not.
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal


def normal_ci(values: np.ndarray) -> tuple[list[float], float]:
    """``([low, high], std)`` for the mean of ``values`` (``std`` with ``ddof=1``; NaN if n < 2)."""
    mean = float(np.mean(values))
    if len(values) < 2:
        return [math.nan, math.nan], math.nan
    std = float(np.std(values, ddof=1))
    half = Z95 * std / math.sqrt(len(values))
    return [mean - half, mean + half], std


def wilson_ci(successes: int, n: int) -> list[float]:
    """Wilson score interval ``[low, high]`` for ``successes`` out of ``n`` trials."""
    p = successes / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return [max(0.0, centre - half), min(1.0, centre + half)]
