"""Choosing a decision threshold by a named rule, and applying one.

Decision rule: a pair is *same* iff ``score >= threshold`` (scores: higher = more similar; labels:
1 = same, 0 = different). Rules:

- ``"accuracy"``: the threshold with the highest accuracy;
- ``"eer"``: the equal error rate point, where the false accept and false reject rates meet;
- ``"far"``: the highest true accept rate whose false accept rate is at most ``target_far``
  (the usual operating point of biometric verification);
- ``"f1"``: the highest F1 of the *same* class.

A threshold must be chosen on data other than the data it is reported on (validation, not test):
see :func:`siamkit.evaluation.evaluate_with_calibration` and :func:`~siamkit.evaluation.calibrate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ._validate import check_1d, check_finite, check_scores_labels
from .curves import OperatingPoints

RULES = ("accuracy", "eer", "far", "f1")


def check_rule(rule: str, target_far: float | None) -> None:
    if rule not in RULES:
        raise ConfigError(
            f"rule: unknown threshold rule {rule!r}; choose one of {', '.join(RULES)}"
        )
    if rule == "far" and (target_far is None or not 0 < float(target_far) < 1):
        raise ConfigError(f"target_far: must be between 0 and 1 (exclusive), got {target_far!r}")


def apply_threshold(scores: Any, threshold: float) -> np.ndarray:
    """Decisions (bool ``[N]``, True = same) for ``scores``: ``score >= threshold``."""
    s = check_1d(scores, "scores")
    check_finite(s, "scores")
    if threshold is None or not np.isfinite(float(threshold)):
        raise DataError(f"threshold: must be a finite number, got {threshold!r}")
    return s >= float(threshold)


def rates_at_threshold(scores: Any, labels: Any, threshold: float) -> dict[str, float | int]:
    """Accuracy, FAR, FRR, precision, recall (= TAR), F1 and the confusion counts at ``threshold``.

    ``labels``: 1 = same, 0 = different. Precision is 0 where nothing is accepted.
    """
    s, y = check_scores_labels(scores, labels)
    same = apply_threshold(s, threshold)
    tp = int(np.sum(same & (y == 1)))
    fp = int(np.sum(same & (y == 0)))
    fn = int(np.sum(~same & (y == 1)))
    tn = int(np.sum(~same & (y == 0)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {
        "threshold": float(threshold),
        "accuracy": (tp + tn) / len(y),
        "far": fp / (fp + tn),
        "frr": fn / (tp + fn),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
    }


def choose_threshold(
    scores: Any, labels: Any, rule: str = "accuracy", target_far: float = 1e-2
) -> tuple[float, dict[str, Any]]:
    """``(threshold, info)``: the threshold that ``rule`` picks on these scores and labels.

    ``labels``: 1 = same, 0 = different. ``info`` holds ``rule``, ``threshold``, ``rule_value``
    (the figure the rule optimises: accuracy, EER, TAR or F1), ``target_far`` (rule "far" only),
    the counts it was chosen on, and accuracy/FAR/FRR at the threshold on these same data (which
    are optimistic: report on other data). Thresholds sit halfway between neighbouring distinct
    scores (see ``curves``); ties between equally good thresholds go to the highest one.
    """
    check_rule(rule, target_far)
    s, y = check_scores_labels(scores, labels)
    points = OperatingPoints.from_scores(s, y)
    info: dict[str, Any] = {"rule": rule}
    if rule == "eer":
        value, threshold = points.equal_error_rate()
    else:
        if rule == "accuracy":
            j = points.best(points.accuracy)
            value = points.accuracy[j]
        elif rule == "f1":
            j = points.best(points.f1)
            value = points.f1[j]
        else:
            j = points.tar_at_far(float(target_far))
            value = points.tar[j]
            info["target_far"] = float(target_far)
        threshold = points.thresholds[j]
    rates = rates_at_threshold(s, y, threshold)
    info.update(
        threshold=float(threshold),
        rule_value=float(value),
        n=len(y),
        n_same=points.n_same,
        n_different=points.n_different,
        accuracy=rates["accuracy"],
        far=rates["far"],
        frr=rates["frr"],
    )
    return float(threshold), info
