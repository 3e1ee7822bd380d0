"""Platt scaling recovers a known logistic link and keeps the score order."""

from __future__ import annotations

import numpy as np
import pytest

from siamkit.errors import NotCalibratedError
from siamkit.evaluation import PlattCalibrator


def test_recovers_known_logistic_parameters():
    rng = np.random.default_rng(0)
    s = rng.normal(size=20000)
    p_true = 1 / (1 + np.exp(-(3.0 * s - 1.0)))
    y = (rng.random(len(s)) < p_true).astype(int)
    cal = PlattCalibrator().fit(s, y)
    assert cal.coef_ == pytest.approx(3.0, rel=0.1)
    assert cal.intercept_ == pytest.approx(-1.0, abs=0.1)
    p = cal.predict_proba(s)
    assert p.shape == s.shape
    assert np.abs(p - p_true).max() < 0.05


def test_separable_scores_give_finite_monotone_probabilities():
    s = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1])
    cal = PlattCalibrator().fit(s, y)
    assert np.isfinite(cal.coef_) and cal.coef_ > 0
    p = cal.predict_proba(np.linspace(-1, 2, 50))
    assert np.all(np.diff(p) > 0) and np.all((p > 0) & (p < 1))
    # soft targets keep the extreme probabilities away from 0 and 1 (Platt 1999: 4/5 and 1/5)
    assert cal.predict_proba([0.9])[0] < 0.95
    assert cal.predict_proba([0.1])[0] > 0.05


def test_must_fit_first():
    with pytest.raises(NotCalibratedError):
        PlattCalibrator().predict_proba([0.1])
