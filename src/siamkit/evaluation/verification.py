"""Verification metrics: how well a score separates same pairs from different pairs.

ROC curve and AUC (Fawcett 2006, via scikit-learn), equal error rate, best-accuracy and best-F1
thresholds, true accept rate at fixed false accept rates (the face-verification operating points of
e.g. the IJB and MegaFace benchmarks), and percentile bootstrap confidence intervals.

Conventions: scores are higher = more similar; labels are 1 = same, 0 = different; a pair is called
same iff ``score >= threshold``. Thresholds reported here are *chosen on the data passed in*, so the
"best" figures are optimistic; choose on validation data and report on test data with
:func:`siamkit.evaluation.evaluate_with_calibration`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError
from ._validate import check_scores_labels
from .bootstrap import stratified_bootstrap_ci
from .curves import OperatingPoints
from .thresholds import rates_at_threshold


def _eer(scores: np.ndarray, labels: np.ndarray) -> float:
    return OperatingPoints.from_scores(scores, labels).equal_error_rate()[0]


def verification_metrics(
    scores: Any,
    labels: Any,
    threshold: float | None = None,
    far_targets: Sequence[float] = (1e-1, 1e-2, 1e-3),
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """Metrics of verification scores against labels (1 = same, 0 = different).

    Returns a JSON-ready dict:

    - ``n``, ``n_same``, ``n_different``; ``roc_auc``; ``roc``: ``{"fpr", "tpr", "thresholds"}``
      lists from scikit-learn (the first threshold is ``inf``: nothing accepted);
    - ``eer``, ``eer_threshold`` (FAR = FRR, interpolated between neighbouring ROC points);
    - ``best_accuracy``, ``best_accuracy_threshold``, ``best_f1``, ``best_f1_threshold``;
    - ``tar_at_far``: one ``{"far_target", "tar", "far", "threshold", "below_resolution"}`` per
      target: the largest TAR with FAR <= target (``below_resolution``: the target is below
      1 / n_different, so only FAR = 0 qualifies);
    - ``threshold`` and, at it, ``accuracy``, ``far``, ``frr``, ``precision``, ``recall``, ``f1``
      (all None when no threshold is given);
    - with ``bootstrap > 0``: ``ci95`` = ``{"roc_auc", "eer", "accuracy"}`` percentile intervals
      over that many stratified resamples (seeded by ``seed``). The accuracy interval is at the
      given threshold, or at the best-accuracy threshold (held fixed) when none is given.
    """
    from sklearn.metrics import roc_auc_score, roc_curve  # here: keeps `import siamkit` fast

    s, y = check_scores_labels(scores, labels)
    targets = [float(t) for t in far_targets]
    for t in targets:
        if not 0 < t < 1:
            raise ConfigError(f"far_targets: each target must be in (0, 1), got {t!r}")
    if int(bootstrap) < 0:
        raise ConfigError(f"bootstrap: number of resamples must be >= 0, got {bootstrap!r}")
    points = OperatingPoints.from_scores(s, y)
    fpr, tpr, roc_thresholds = roc_curve(y, s)
    eer, eer_threshold = points.equal_error_rate()
    j_acc = points.best(points.accuracy)
    j_f1 = points.best(points.f1)
    out: dict[str, Any] = {
        "n": len(y),
        "n_same": points.n_same,
        "n_different": points.n_different,
        "roc_auc": float(roc_auc_score(y, s)),
        "roc": {
            "fpr": fpr.tolist(),
            "tpr": tpr.tolist(),
            "thresholds": roc_thresholds.astype(float).tolist(),
        },
        "eer": eer,
        "eer_threshold": eer_threshold,
        "best_accuracy": float(points.accuracy[j_acc]),
        "best_accuracy_threshold": float(points.thresholds[j_acc]),
        "best_f1": float(points.f1[j_f1]),
        "best_f1_threshold": float(points.thresholds[j_f1]),
        "tar_at_far": [],
    }
    for t in targets:
        j = points.tar_at_far(t)
        out["tar_at_far"].append(
            {
                "far_target": t,
                "tar": float(points.tar[j]),
                "far": float(points.far[j]),
                "threshold": float(points.thresholds[j]),
                "below_resolution": t * points.n_different < 1,
            }
        )
    at = rates_at_threshold(s, y, threshold) if threshold is not None else None
    out["threshold"] = None if at is None else float(threshold)
    for key in ("accuracy", "far", "frr", "precision", "recall", "f1"):
        out[key] = None if at is None else at[key]
    if bootstrap:
        fixed = out["threshold"] if at is not None else out["best_accuracy_threshold"]
        out["ci95"] = stratified_bootstrap_ci(
            s,
            y,
            {
                "roc_auc": lambda a, b: roc_auc_score(b, a),
                "eer": _eer,
                "accuracy": lambda a, b: float(np.mean((a >= fixed) == (b == 1))),
            },
            n_resamples=int(bootstrap),
            seed=seed,
        )
        out["bootstrap"] = {"resamples": int(bootstrap), "seed": seed, "accuracy_threshold": fixed}
    return out
