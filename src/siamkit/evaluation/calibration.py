"""Calibrating a model's decision threshold on validation data, and reporting on test data.

The threshold is chosen on one set of pairs (validation) and reported on another (test): a threshold
chosen on the test pairs themselves overstates accuracy, the more so the fewer the pairs. Every
function here keeps the two apart; :func:`evaluate_with_calibration` never reads the test data when
choosing. Decision rule: same iff ``score >= threshold``; labels: 1 = same, 0 = different.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..errors import NotCalibratedError, SiamkitWarning
from ._validate import check_scores_labels
from .model_scores import pair_scores
from .threshold_checks import threshold_warnings
from .thresholds import check_rule, choose_threshold, rates_at_threshold
from .verification import verification_metrics


def _chosen_on(description: str, info: dict[str, Any]) -> str:
    return (
        f"{description}: {info['n']} pairs ({info['n_same']} same, {info['n_different']} different)"
    )


def threshold_info(info: dict[str, Any], description: str) -> dict[str, Any]:
    """The ``model.threshold_info`` record for a threshold chosen by :func:`choose_threshold`."""
    record: dict[str, Any] = {
        "rule": info["rule"],
        "value": info["threshold"],
        "rule_value": info["rule_value"],
    }
    if "target_far" in info:
        record["target_far"] = info["target_far"]
    record["chosen_on"] = _chosen_on(description, info)
    record["validation_metrics"] = {k: info[k] for k in ("accuracy", "far", "frr")}
    return record


def calibrate_on_scores(
    model: Any,
    scores: Any,
    labels: Any,
    rule: str = "accuracy",
    target_far: float = 1e-2,
    description: str = "validation pairs",
) -> float:
    """Choose the threshold on validation ``scores`` (labels 1 = same, 0 = different), set it with
    ``model.set_threshold`` and return it; ``description`` names the pairs in ``chosen_on``.

    A threshold that does not mean what its rule promised (see :mod:`.threshold_checks`: too few
    pairs for the target FAR, most same pairs rejected) is set all the same, but each problem is a
    :class:`~siamkit.errors.SiamkitWarning` and a line of ``threshold_info["warnings"]``."""
    check_rule(rule, target_far)
    threshold, info = choose_threshold(scores, labels, rule=rule, target_far=target_far)
    record = threshold_info(info, description)
    problems = threshold_warnings(scores, labels, info, description)
    if problems:
        record["warnings"] = problems
    for line in problems:
        warnings.warn(line, SiamkitWarning, stacklevel=2)
    del record["value"]  # set_threshold records the value itself
    model.set_threshold(threshold, **record)
    return float(threshold)


def calibrate(
    model: Any,
    x1: Any,
    x2: Any,
    y: Any,
    rule: str = "accuracy",
    target_far: float = 1e-2,
    batch_size: int = 256,
    description: str = "validation pairs",
) -> Any:
    """Choose ``model.threshold`` on validation pairs ``(x1[i], x2[i], y[i])`` and return the model.

    ``y``: 1 = same, 0 = different. Scores come from ``model.similarity`` (eval mode, no
    gradients). Sets the threshold (score scale) with ``model.set_threshold``, so that
    ``model.threshold_info`` = ``{"rule", "value" (the threshold), "rule_value" (the figure the
    rule optimised: accuracy, EER, TAR or F1), "target_far" (rule "far"), "chosen_on",
    "validation_metrics": {accuracy, far, frr}}``, which ``model.save`` stores in the model
    directory. Never pass the test pairs here. To calibrate and evaluate in one call, see
    :func:`siamkit.evaluation.evaluate_model`.
    """
    check_rule(rule, target_far)
    scores = pair_scores(model, x1, x2, batch_size=batch_size)
    calibrate_on_scores(model, scores, y, rule, target_far, description)
    return model


def model_threshold(model: Any) -> float:
    """``model.threshold``, or NotCalibratedError when it has none."""
    threshold = getattr(model, "threshold", None)
    if threshold is None:
        raise NotCalibratedError(
            "model: has no decision threshold; calibrate it on validation pairs first "
            "(siamkit.evaluation.calibrate)"
        )
    return float(threshold)


def evaluate_model_pairs(
    model: Any, x1: Any, x2: Any, y: Any, batch_size: int = 256, **metric_kwargs: Any
) -> dict[str, Any]:
    """:func:`verification_metrics` of the model's scores on test pairs, at ``model.threshold``
    (NotCalibratedError if it has none), with ``threshold_info`` copied in."""
    threshold = model_threshold(model)
    scores = pair_scores(model, x1, x2, batch_size=batch_size)
    metrics = verification_metrics(scores, y, threshold=threshold, **metric_kwargs)
    metrics["threshold_info"] = getattr(model, "threshold_info", None)
    return metrics


def evaluate_with_calibration(
    val_scores: Any,
    val_labels: Any,
    test_scores: Any,
    test_labels: Any,
    rule: str = "accuracy",
    target_far: float = 1e-2,
    **metric_kwargs: Any,
) -> dict[str, Any]:
    """Choose the threshold on validation scores, report on test scores.

    Labels: 1 = same, 0 = different. Returns ``{"threshold", "threshold_info", "validation":
    rates at the threshold on validation, "test": verification_metrics(test, threshold)}``. The test
    data are validated but play no part in the choice.
    """
    check_rule(rule, target_far)
    check_scores_labels(test_scores, test_labels, "test_scores", "test_labels")
    v_scores, v_labels = check_scores_labels(val_scores, val_labels, "val_scores", "val_labels")
    threshold, info = choose_threshold(v_scores, v_labels, rule=rule, target_far=target_far)
    return {
        "threshold": threshold,
        "threshold_info": threshold_info(info, "validation scores"),
        "validation": rates_at_threshold(v_scores, v_labels, threshold),
        "test": verification_metrics(
            test_scores, test_labels, threshold=threshold, **metric_kwargs
        ),
    }
