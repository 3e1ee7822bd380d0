"""Confidence intervals against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from siamkit.evaluation.intervals import normal_ci, wilson_ci


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (50, 100), (999, 1000), (1000, 1000)])
def test_wilson_matches_scipy(k, n):
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_ci(k, n) == pytest.approx([ref.low, ref.high], abs=1e-9)


def test_normal_ci_matches_scipy_normal_interval():
    values = np.random.default_rng(0).random(200)
    sem = stats.sem(values)
    lo, hi = stats.norm.interval(0.95, loc=values.mean(), scale=sem)
    (low, high), std = normal_ci(values)
    assert (low, high) == pytest.approx((lo, hi))
    assert std == pytest.approx(np.std(values, ddof=1))
    assert all(np.isnan(normal_ci(np.array([0.5]))[0]))
