"""Tracking accuracy as in the OTB benchmark: success plot and precision plot, one-pass evaluation.

Wu, Lim & Yang (2013), "Online Object Tracking: A Benchmark" (CVPR). For each frame, the overlap
(intersection over union) of the predicted and true boxes, and the centre location error (pixels
between the box centres). The *success plot* is the fraction of frames whose overlap exceeds each
threshold from 0 to 1; its area under the curve (the mean over the thresholds) ranks trackers. The
*precision plot* is the fraction of frames whose centre error is within each distance; precision at
20 pixels is the usual single number. Curves are computed per sequence and averaged over sequences.
The first frame, where the box is given, is not scored.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

SUCCESS_THRESHOLDS = np.linspace(0.0, 1.0, 21)  # OTB's 0:0.05:1
PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Overlap ``[T]`` of paired boxes ``(x, y, w, h)``, ``[T, 4]`` each."""
    a, b = np.atleast_2d(a).astype(np.float64), np.atleast_2d(b).astype(np.float64)
    w = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0])
    h = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1])
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def center_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance ``[T]`` in pixels between the centres of paired boxes."""
    a, b = np.atleast_2d(a).astype(np.float64), np.atleast_2d(b).astype(np.float64)
    return np.hypot(
        a[:, 0] + a[:, 2] / 2 - b[:, 0] - b[:, 2] / 2, a[:, 1] + a[:, 3] / 2 - b[:, 1] - b[:, 3] / 2
    )


def success_curve(ious: np.ndarray, thresholds: np.ndarray = SUCCESS_THRESHOLDS) -> np.ndarray:
    """Fraction of frames with overlap strictly above each threshold (OTB counts ``>``)."""
    return (np.asarray(ious)[None, :] > np.asarray(thresholds)[:, None]).mean(axis=1)


def precision_curve(
    errors: np.ndarray, thresholds: np.ndarray = PRECISION_THRESHOLDS
) -> np.ndarray:
    """Fraction of frames with centre error within each threshold (pixels)."""
    return (np.asarray(errors)[None, :] <= np.asarray(thresholds)[:, None]).mean(axis=1)


def sequence_scores(predicted: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray | float]:
    """Curves and scores of one sequence; frame 0 (the given box) is left out."""
    predicted, truth = np.asarray(predicted)[1:], np.asarray(truth)[1:]
    if len(predicted) != len(truth) or not len(truth):
        raise ValueError(
            f"tracking metrics: {len(predicted) + 1} predicted boxes for {len(truth) + 1} frames"
        )
    ious, errors = box_iou(predicted, truth), center_error(predicted, truth)
    success, precision = success_curve(ious), precision_curve(errors)
    return {
        "success": success,
        "precision": precision,
        "success_auc": float(success.mean()),
        "precision_20": float(precision[20]),
        "mean_iou": float(ious.mean()),
    }


def summarize(per_sequence: Sequence[dict]) -> dict[str, float | list[float]]:
    """Average of per-sequence curves (OTB's one-pass evaluation) and the scores read from them."""
    success = np.mean([s["success"] for s in per_sequence], axis=0)
    precision = np.mean([s["precision"] for s in per_sequence], axis=0)
    return {
        "success_auc": float(success.mean()),
        "precision_20": float(precision[20]),
        "mean_iou": float(np.mean([s["mean_iou"] for s in per_sequence])),
        "success_curve": [round(float(v), 4) for v in success],
        "precision_curve": [round(float(v), 4) for v in precision],
        "sequences": len(per_sequence),
    }
