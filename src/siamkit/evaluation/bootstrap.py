"""Percentile bootstrap confidence intervals for verification metrics (Efron & Tibshirani 1993).

Resampling is *stratified*: same pairs and different pairs are each resampled with replacement to
their own count, so every resample has both classes (AUC and EER need both) and the class balance of
the data is kept.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Statistic = Callable[[np.ndarray, np.ndarray], float]


def stratified_bootstrap_ci(
    scores: np.ndarray,
    labels: np.ndarray,
    statistics: dict[str, Statistic],
    n_resamples: int,
    seed: int | np.random.Generator = 0,
    level: float = 0.95,
) -> dict[str, list[float]]:
    """``{name: [low, high]}``, the percentile interval of each statistic over ``n_resamples``
    stratified resamples of ``(scores, labels)`` (labels: 1 = same, 0 = different)."""
    rng = np.random.default_rng(seed)
    same = np.flatnonzero(labels == 1)
    different = np.flatnonzero(labels == 0)
    values = {name: np.empty(n_resamples) for name in statistics}
    for r in range(n_resamples):
        idx = np.concatenate(
            [rng.choice(same, size=len(same)), rng.choice(different, size=len(different))]
        )
        s, y = scores[idx], labels[idx]
        for name, fn in statistics.items():
            values[name][r] = fn(s, y)
    tail = (1.0 - level) / 2 * 100
    return {
        name: [float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))]
        for name, v in values.items()
    }
