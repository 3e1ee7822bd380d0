"""Balanced positive/negative pairs from labelled samples, as in the classic MNIST recipe.

Hadsell, Chopra & LeCun (2006), "Dimensionality reduction by learning an invariant mapping", and the
Keras MNIST Siamese example: for each anchor, one positive (another sample of its class) and one
negative (a sample of a random other class), so the pairs are exactly half positive. Labels follow
siamkit's convention: **1 = same class**, 0 = different.

:func:`balanced_pair_indices` works on indices only (vectorised with NumPy; 60,000 anchors take a
few milliseconds), so a loader can draw fresh pairs every epoch without copying samples;
:func:`make_pairs` materialises them as :class:`PairData` for small data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from ...errors import DataError
from ..containers import LabelledData, PairData
from ..samples import as_index, take
from ..seeding import SeedLike, as_rng


class ClassIndex:
    """Samples grouped by class: ``order`` (indices sorted by class), ``start``/``count`` per class,
    and each sample's ``rank`` inside its class. Only classes with samples are kept."""

    def __init__(self, labels: Tensor | np.ndarray, what: str = "labels",
                 classes: list[str] | None = None) -> None:
        y = np.asarray(labels.numpy() if isinstance(labels, Tensor) else labels, dtype=np.int64)
        if y.ndim != 1 or len(y) == 0:
            raise DataError(f"{what}: expected a non-empty 1-D array of class ids")
        self.labels_present, dense = np.unique(y, return_inverse=True)
        self.dense = dense.astype(np.int64)          # class of each sample, 0..C-1
        self.order = np.argsort(self.dense, kind="stable")
        self.count = np.bincount(self.dense)
        self.start = np.concatenate(([0], np.cumsum(self.count)[:-1]))
        self.rank = np.empty(len(y), dtype=np.int64)
        self.rank[self.order] = np.arange(len(y)) - self.start[self.dense[self.order]]
        self.what = what
        self.classes = classes

    def name(self, dense_class: int) -> str:
        label = int(self.labels_present[dense_class])
        return repr(self.classes[label]) if self.classes else str(label)

    @property
    def n_classes(self) -> int:
        return len(self.count)

    def require_negatives(self) -> None:
        if self.n_classes < 2:
            raise DataError(f"{self.what}: only one class ({self.name(0)}); no negative "
                            f"(different-class) pair is possible")

    def require_positives(self, anchors: np.ndarray) -> None:
        lonely = anchors[self.count[self.dense[anchors]] < 2]
        if len(lonely):
            cls = self.name(self.dense[lonely[0]])
            raise DataError(f"{self.what}: class {cls} has a single sample (index {lonely[0]}); a "
                            f"positive pair needs two. Drop such classes or give more samples")

    def usable_anchors(self, anchors: Any = None) -> np.ndarray:
        """``anchors`` (default: every sample) as indices, checked to have a negative (a second
        class) and a positive (a second sample of their own class)."""
        self.require_negatives()
        a = (np.arange(len(self.dense)) if anchors is None
             else as_index(anchors, len(self.dense), "anchors").numpy())
        self.require_positives(a)
        return a

    def positives(self, anchors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random other sample of each anchor's class."""
        c = self.dense[anchors]
        step = 1 + np.floor(rng.random(len(anchors)) * (self.count[c] - 1)).astype(np.int64)
        return self.order[self.start[c] + (self.rank[anchors] + step) % self.count[c]]

    def negatives(self, anchors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random sample of a uniformly random other class for each anchor."""
        k = self.n_classes
        other = (self.dense[anchors] + rng.integers(1, k, size=len(anchors))) % k
        pick = np.floor(rng.random(len(anchors)) * self.count[other]).astype(np.int64)
        return self.order[self.start[other] + pick]


def balanced_pair_indices(labels: Tensor | np.ndarray, seed: SeedLike = 0, anchors: Any = None,
                          *, classes: list[str] | None = None, what: str = "labels"
                          ) -> tuple[Tensor, Tensor, Tensor]:
    """``(i1, i2, y)``: for each anchor a positive then a negative pair; ``y`` float, 1 = same.

    ``anchors`` (default: every sample) are indices into ``labels``. Raises :class:`DataError` for a
    single class or for an anchor whose class has one sample.
    """
    index = ClassIndex(labels, what, classes)
    a = index.usable_anchors(anchors)
    rng = as_rng(seed)
    pos, neg = index.positives(a, rng), index.negatives(a, rng)
    i1 = np.repeat(a, 2)
    i2 = np.stack([pos, neg], axis=1).reshape(-1)
    y = np.tile(np.array([1.0, 0.0], dtype=np.float32), len(a))
    return torch.from_numpy(i1), torch.from_numpy(i2), torch.from_numpy(y)


def make_pairs(data: LabelledData, seed: SeedLike = 0, anchors: Any = None) -> PairData:
    """:func:`balanced_pair_indices` materialised: ``x1``, ``x2`` copied, labels 1 = same class."""
    i1, i2, y = balanced_pair_indices(data.y, seed, anchors, classes=data.classes, what=data.name)
    return PairData(take(data.x, i1), take(data.x, i2), y, name=f"{data.name}/pairs",
                    info={"source": data.name})
