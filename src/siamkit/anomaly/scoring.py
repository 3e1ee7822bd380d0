"""Anomaly scores from nearest neighbours, and a threshold for a target false-alarm rate.

An input is as anomalous as it is far from the normal data: its anomaly score is the distance to
its ``k`` nearest normal references in embedding space, averaged ("mean") or the k-th one ("kth").
This is the k-nearest-neighbour outlier score of Ramaswamy, Rastogi & Shim (2000, "Efficient
algorithms for mining outliers from large data sets": the k-th distance) and Angiulli & Pizzuti
(2002: the mean), applied to embeddings of a Siamese network as in deep one-class and metric
learning detectors (e.g. Bergman, Cohen & Hoshen 2020, "Deep Nearest Neighbor Anomaly Detection").

**Anomaly scores: HIGHER = MORE ANOMALOUS.** That is the opposite of siamkit's similarity scores
(higher = more similar): a gallery's similarity scores are turned back into dissimilarities here.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError, DataError, SiamkitWarning
from ..heads import HeadScores
from ..registry import DISTANCES

if TYPE_CHECKING:
    from ..distances import ScoreScale

AGGREGATES = ("mean", "kth")


def dissimilarity(scores: np.ndarray, score_kind: str | ScoreScale) -> np.ndarray:
    """Similarity scores (higher = more similar) back to dissimilarities (higher = farther), as the
    scores' scale says: ``-score`` for minus-distance scores, ``1 - score`` for cosine similarity
    and probabilities. ``score_kind``: a model's ``score_scale`` (its distance or head), or the
    name of its scores (``model.score_kind``, as saved in files)."""
    scale = _scale_of(score_kind) if isinstance(score_kind, str) else score_kind
    return np.asarray(scale.distance_from_score(np.asarray(scores, dtype=np.float64)))


def _scale_of(score_kind: str) -> ScoreScale:
    """The distance (or the head scores) whose scores are called ``score_kind``."""
    for scale in [*(entry.obj for entry in DISTANCES.entries()), HeadScores()]:
        if scale.score_kind == score_kind:
            return scale
    raise ConfigError(f"anomaly: cannot turn scores of kind {score_kind!r} into distances")


def aggregate_neighbours(distances: np.ndarray, aggregate: str = "mean") -> np.ndarray:
    """``[N, k]`` distances to the nearest references (ascending) -> ``[N]`` anomaly scores."""
    if aggregate not in AGGREGATES:
        raise ConfigError(
            f"anomaly aggregate: expected one of {', '.join(AGGREGATES)}, got {aggregate!r}"
        )
    distances = np.asarray(distances, dtype=np.float64)
    return distances.mean(axis=1) if aggregate == "mean" else distances.max(axis=1)


def false_alarm_threshold(normal_scores: np.ndarray, rate: float) -> float:
    """The smallest threshold that flags (``score > threshold``) at most ``rate`` of the normal
    validation scores: with ``m = floor(rate * n)`` of ``n`` allowed above it, the ``(m + 1)``-th
    largest score."""
    if not 0.0 < rate < 1.0:
        raise ConfigError(f"target_false_alarm_rate must be in (0, 1), got {rate}")
    scores = np.asarray(normal_scores, dtype=np.float64)
    if scores.size == 0 or not np.isfinite(scores).all():
        raise DataError("anomaly threshold: the normal validation scores are empty or not finite")
    if scores.size < 1.0 / rate:
        warnings.warn(
            f"anomaly threshold: {scores.size} validation samples cannot resolve a false-alarm "
            f"rate of {rate} (need at least {int(np.ceil(1 / rate))}); "
            "the threshold is their maximum",
            SiamkitWarning,
            stacklevel=2,
        )
    allowed = int(np.floor(rate * scores.size + 1e-9))
    return float(np.sort(scores)[scores.size - allowed - 1])
