"""Evaluating and calibrating Siamese networks: verification, thresholds, one-shot, retrieval.

Conventions: labels are 1 = same, 0 = different; scores are higher = more similar; a pair is called
same iff ``score >= threshold``; thresholds are chosen on validation data and reported on test data.

:func:`evaluate_model` is the one evaluation of a model on validation + test data (threshold,
verification, one-shot, retrieval, plots) that ``siamkit train``, ``siamkit evaluate`` and Python
users share; the functions below it are its parts. Figures are in :mod:`siamkit.evaluation.plots`.
"""

from __future__ import annotations

from .calibration import (
    calibrate,
    calibrate_on_scores,
    evaluate_model_pairs,
    evaluate_with_calibration,
    model_threshold,
)
from .kfold import kfold_verification
from .model_evaluation import evaluate_model
from .model_scores import embed_all, pair_scores
from .one_shot import one_shot_accuracy, one_shot_accuracy_from_embeddings
from .pairs import VerificationPairs, verification_pairs
from .platt import PlattCalibrator
from .report import evaluate, format_metrics_table, write_metrics_json
from .retrieval import retrieval_metrics
from .thresholds import RULES, apply_threshold, choose_threshold, rates_at_threshold
from .verification import verification_metrics

__all__ = [
    "RULES",
    "PlattCalibrator",
    "VerificationPairs",
    "apply_threshold",
    "calibrate",
    "calibrate_on_scores",
    "choose_threshold",
    "embed_all",
    "evaluate",
    "evaluate_model",
    "evaluate_model_pairs",
    "evaluate_with_calibration",
    "format_metrics_table",
    "kfold_verification",
    "model_threshold",
    "one_shot_accuracy",
    "one_shot_accuracy_from_embeddings",
    "pair_scores",
    "rates_at_threshold",
    "retrieval_metrics",
    "verification_metrics",
    "verification_pairs",
    "write_metrics_json",
]
