"""Platt scaling: a calibrated match probability from a verification score (Platt 1999).

``P(same | score) = 1 / (1 + exp(-(a * score + b)))``, fitted by logistic regression (scikit-learn)
on held-out scores. As in Platt's paper, the 0/1 targets are softened to ``(N+ + 1) / (N+ + 2)`` and
``1 / (N- + 2)`` so that perfectly separated scores do not drive the slope to infinity; each soft
target is fitted as a positive and a negative copy of the sample weighted by the target.
Fit it on validation scores, never on the scores it will be judged on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import NotCalibratedError
from ._validate import check_1d, check_finite, check_scores_labels


class PlattCalibrator:
    """Logistic map from scores (higher = more similar) to the probability of *same*.

    Parameters: ``soft_targets`` (Platt's smoothed targets, default True); ``C`` (inverse L2
    strength of the logistic regression, default ``inf``: unpenalised). Learned: ``coef_`` (a),
    ``intercept_`` (b).
    """

    def __init__(self, soft_targets: bool = True, C: float = np.inf) -> None:
        self.soft_targets = soft_targets
        self.C = C

    def fit(self, scores: Any, labels: Any) -> PlattCalibrator:
        """Fit on validation ``scores`` and ``labels`` (1 = same, 0 = different); returns self."""
        from sklearn.linear_model import LogisticRegression

        s, y = check_scores_labels(scores, labels)
        if self.soft_targets:
            n_pos = int(y.sum())
            n_neg = len(y) - n_pos
            target = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
        else:
            target = y.astype(np.float64)
        x = np.concatenate([s, s])[:, None]
        t = np.concatenate([np.ones_like(s), np.zeros_like(s)])
        w = np.concatenate([target, 1.0 - target])
        keep = w > 0
        model = LogisticRegression(C=self.C, max_iter=1000)
        model.fit(x[keep], t[keep], sample_weight=w[keep])
        self.coef_ = float(model.coef_[0, 0])
        self.intercept_ = float(model.intercept_[0])
        return self

    def predict_proba(self, scores: Any) -> np.ndarray:
        """Probability of *same* for each score, a 1-D array (unlike scikit-learn's two columns)."""
        if not hasattr(self, "coef_"):
            raise NotCalibratedError("PlattCalibrator: call fit(scores, labels) first")
        s = check_1d(scores, "scores")
        check_finite(s, "scores")
        z = self.coef_ * s + self.intercept_
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, without overflow
