"""AnomalyDetector: k-nearest-neighbour distances to normal references in a siamkit Gallery.

Fit on normal data only: the normal samples are embedded by the Siamese model and enrolled in a
:class:`siamkit.gallery.Gallery` (FAISS search); held-out normal validation samples set the
threshold so that about ``target_false_alarm_rate`` of normal inputs are flagged. Scores are
distances (see :mod:`siamkit.anomaly.scoring`): **HIGHER = MORE ANOMALOUS**, the opposite of
siamkit's similarity scores. ``predict`` answers True for an anomaly.

A fitted detector saves to a folder: the gallery (its SQLite database and FAISS index) and
``anomaly.json`` (k, aggregate, threshold and how it was chosen); the model is saved apart and given
again to :meth:`AnomalyDetector.load`, which checks it is the one that built the gallery.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..atomic import atomic_write_json
from ..errors import ConfigError, DataError, ModelFileError, NotCalibratedError
from ..gallery import Gallery
from .scoring import AGGREGATES, aggregate_neighbours, dissimilarity, false_alarm_threshold

CONFIG_FILE = "anomaly.json"
FORMAT = "siamkit-anomaly-detector"


class AnomalyDetector:
    """Anomaly scores of inputs from their distances to the ``k`` nearest normal references.

    Args:
        model: a trained :class:`siamkit.SiameseNetwork` (its distance or head defines "near").
        k: neighbours per input. aggregate: "mean" of their distances, or the "kth" (largest).
        target_false_alarm_rate: fraction of normal validation inputs the threshold may flag.
        val_fraction: share of ``normal_x`` held out for the threshold when ``fit`` gets no
            validation data (held-out samples are not enrolled, so none is its own neighbour).
        seed: for that split. batch_size: inputs embedded at once. index: the gallery's index kind.

    Learned: ``gallery_``, ``threshold_`` (flag when score > threshold_), ``val_scores_``,
    ``val_false_alarm_rate_`` (the rate on the validation data), ``n_references_``.
    """

    def __init__(
        self,
        model: Any,
        k: int = 5,
        aggregate: str = "mean",
        target_false_alarm_rate: float = 0.05,
        val_fraction: float = 0.2,
        seed: int = 0,
        batch_size: int = 256,
        index: str = "flat",
    ) -> None:
        self.model = model
        self.k = k
        self.aggregate = aggregate
        self.target_false_alarm_rate = target_false_alarm_rate
        self.val_fraction = val_fraction
        self.seed = seed
        self.batch_size = batch_size
        self.index = index

    def _check_params(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 1:
            raise ConfigError(f"anomaly: k must be a positive integer, got {self.k!r}")
        if self.aggregate not in AGGREGATES:
            raise ConfigError(
                f"anomaly: aggregate must be one of {', '.join(AGGREGATES)}, got {self.aggregate!r}"
            )
        if not 0.0 < self.target_false_alarm_rate < 1.0:
            raise ConfigError(
                "anomaly: target_false_alarm_rate must be in (0, 1), "
                f"got {self.target_false_alarm_rate}"
            )

    def _embed(self, x: Any) -> np.ndarray:
        if len(x) == 0:
            raise DataError("anomaly: no inputs to score")
        return self.model.encode(x, batch_size=self.batch_size).numpy().astype(np.float32)

    def fit(
        self, normal_x: Any, val_normal_x: Any = None, labels: Sequence[Any] | None = None
    ) -> "AnomalyDetector":
        """Enroll ``normal_x`` (images, texts, vectors or a prepared batch: whatever the model
        reads) and set the threshold on ``val_normal_x`` (normal only; default: a held-out share
        of ``normal_x``). ``labels``: optional class of each normal sample, kept as its gallery
        identity."""
        self._check_params()
        n = len(normal_x)
        if labels is not None and len(labels) != n:
            raise DataError(f"anomaly fit: {len(labels)} labels for {n} normal samples")
        names = np.array(
            ["normal"] * n if labels is None else [str(v) for v in labels], dtype=object
        )
        if val_normal_x is None:
            if not 0.0 < self.val_fraction < 1.0:
                raise ConfigError(
                    "anomaly: val_fraction must be in (0, 1) without validation data, "
                    f"got {self.val_fraction}"
                )
            order = np.random.default_rng(self.seed).permutation(n)
            n_val = max(1, int(round(n * self.val_fraction)))
            val_idx, ref_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
            val_normal_x, normal_x, names = (
                _take(normal_x, val_idx),
                _take(normal_x, ref_idx),
                names[ref_idx],
            )
        if len(normal_x) < self.k:
            raise DataError(
                f"anomaly fit: {len(normal_x)} normal references for k={self.k}; need at least k"
            )
        if len(val_normal_x) == 0:
            raise DataError("anomaly fit: no normal validation samples to set the threshold on")
        self.gallery_ = Gallery(self.model, index=self.index, batch_size=self.batch_size)
        self.gallery_.enroll_many_embeddings(list(names), self._embed(normal_x))
        self.n_references_ = self.gallery_.n_references
        self.val_scores_ = self.score(val_normal_x)
        self.threshold_ = false_alarm_threshold(self.val_scores_, self.target_false_alarm_rate)
        self.val_false_alarm_rate_ = float(np.mean(self.val_scores_ > self.threshold_))
        return self

    def score(self, x: Any) -> np.ndarray:
        """Anomaly scores ``[N]``, HIGHER = MORE ANOMALOUS (distances to the normal references)."""
        return self.score_embeddings(self._embed(x))

    def score_embeddings(self, embeddings: Any) -> np.ndarray:
        """Like :meth:`score` for embeddings ``[N, D]`` computed by this model."""
        if not hasattr(self, "gallery_"):
            raise NotCalibratedError("anomaly detector: call fit(normal_x, val_normal_x) first")
        emb = np.asarray(embeddings, dtype=np.float32)
        k = min(int(self.k), self.gallery_.n_references)
        matches = self.gallery_.search_embeddings(emb, k)
        sims = np.array([[m.score for m in row] for row in matches], dtype=np.float64).reshape(
            len(emb), k
        )
        return aggregate_neighbours(dissimilarity(sims, self.model.score_scale), self.aggregate)

    def predict(self, x: Any) -> np.ndarray:
        """``[N]`` booleans: True = anomaly (score above ``threshold_``)."""
        return self.score(x) > self.threshold_

    def save(self, path: str | os.PathLike) -> Path:
        """Write the gallery and ``anomaly.json`` into the folder ``path`` (a new one)."""
        if not hasattr(self, "gallery_"):
            raise NotCalibratedError("anomaly detector: fit it before saving")
        path = Path(path)
        self.gallery_.save(path)
        atomic_write_json(
            path / CONFIG_FILE,
            {
                "format": FORMAT,
                "format_version": 1,
                "k": int(self.k),
                "aggregate": self.aggregate,
                "target_false_alarm_rate": self.target_false_alarm_rate,
                "threshold": self.threshold_,
                "val_false_alarm_rate": self.val_false_alarm_rate_,
                "n_val": int(len(self.val_scores_)),
                "n_references": int(self.n_references_),
                "score": "distance to the k nearest normal references; higher = more anomalous",
                "model_score_kind": self.model.score_kind,
            },
        )
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, model: Any) -> "AnomalyDetector":
        """Open a saved detector with the ``model`` that built it."""
        path = Path(path)
        file = path / CONFIG_FILE
        if not file.is_file():
            raise ModelFileError(
                f"anomaly detector {path}: no {CONFIG_FILE} (save one with AnomalyDetector.save)"
            )
        try:
            config = json.loads(file.read_text(encoding="utf-8"))
            if config.get("format") != FORMAT:
                raise ValueError(f"format is {config.get('format')!r}, not {FORMAT!r}")
            det = cls(
                model,
                k=int(config["k"]),
                aggregate=config["aggregate"],
                target_false_alarm_rate=float(config["target_false_alarm_rate"]),
            )
            det.threshold_ = float(config["threshold"])
            det.val_false_alarm_rate_ = float(config["val_false_alarm_rate"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelFileError(
                f"anomaly detector {file}: not a valid detector file ({exc})"
            ) from None
        det._check_params()
        det.gallery_ = Gallery.load(path, model)
        det.n_references_ = det.gallery_.n_references
        return det


def _take(x: Any, index: np.ndarray) -> Any:
    if isinstance(x, (torch.Tensor, np.ndarray)):
        return x[torch.from_numpy(index)] if isinstance(x, torch.Tensor) else x[index]
    return [x[i] for i in index]
