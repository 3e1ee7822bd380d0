"""Evaluating and calibrating Siamese networks: verification, thresholds, one-shot, retrieval.

Conventions: labels are 1 = same, 0 = different; scores are higher = more similar; a pair is called
same iff ``score >= threshold``; thresholds are chosen on validation data and reported on test data.
"""

from __future__ import annotations

from .calibration import (
    calibrate,
    evaluate_model_pairs,
    evaluate_with_calibration,
    model_threshold,
)
from .kfold import kfold_verification
from .model_scores import embed_all, pair_scores
from .one_shot import one_shot_accuracy, one_shot_accuracy_from_embeddings
from .platt import PlattCalibrator
from .report import evaluate, format_metrics_table, write_metrics_json
from .retrieval import retrieval_metrics
from .thresholds import RULES, apply_threshold, choose_threshold, rates_at_threshold
from .verification import verification_metrics

__all__ = [
    "RULES",
    "PlattCalibrator",
    "apply_threshold",
    "calibrate",
    "choose_threshold",
    "embed_all",
    "evaluate",
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
    "write_metrics_json",
]
