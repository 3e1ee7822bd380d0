"""In-memory datasets that the rest of siamkit trains and evaluates on.

* :class:`LabelledData`: samples with class ids (MNIST digits, faces by identity, texts by topic).
  ``x`` is a uint8 image tensor ``[N, C, H, W]`` (0-255; float ``[0, 1]`` also accepted), a float32
  vector tensor ``[N, D]``, or a ``list[str]`` of texts; ``y`` is int64 ``[N]`` with values in
  ``range(len(classes))``.
* :class:`PairData`: explicit pairs ``(x1[i], x2[i])`` with a float label ``y[i]``: **1 = same**
  (duplicate, genuine), 0 = different, or a continuous similarity score (higher = more similar).
  ``groups`` (optional int64 ``[N]``) marks duplicate groups: rows of one group are duplicates of
  each other, so they must never serve as each other's negatives (see :mod:`siamkit.data.groups`).

Both keep ``ids`` (int64 ``[N]``, the sample's index in its source, unique across the splits of one
named dataset: the leakage guards in :mod:`siamkit.data.splits` compare them), optional ``keys``
(per-sample names such as file paths or verse references) and ``info`` (what the loader reported,
e.g. ``info["skipped"]``). ``subset(indices)`` keeps all of them aligned.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..errors import DataError
from .samples import as_index, as_samples, sample_kind, take

def _check_length(n: int, other: Any, what: str, name: str) -> None:
    if other is not None and len(other) != n:
        raise DataError(f"{name}: {what} has {len(other)} entries but there are {n} samples")


@dataclass(eq=False)
class LabelledData:
    """Samples ``x`` with class ids ``y`` (int64, ``classes[y[i]]`` is sample i's class name)."""

    x: Tensor | list[str]
    y: Tensor
    classes: list[str] | None = None
    name: str = "data"
    ids: Tensor | None = None
    keys: list[str] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.x = as_samples(self.x, f"{self.name}: x")
        y = torch.as_tensor(np.asarray(self.y)) if not isinstance(self.y, Tensor) else self.y
        if y.is_floating_point() and not torch.equal(y, y.round()):
            raise DataError(f"{self.name}: labels must be whole class ids, got fractional values")
        self.y = y.long().flatten()
        if len(self.x) != len(self.y):
            raise DataError(
                f"{self.name}: x has {len(self.x)} samples but y has {len(self.y)} labels"
            )
        if len(self.y) and int(self.y.min()) < 0:
            raise DataError(f"{self.name}: label at index {int(self.y.argmin())} is negative")
        top = int(self.y.max()) + 1 if len(self.y) else 0
        if self.classes is None:
            self.classes = [str(c) for c in range(top)]
        self.classes = [str(c) for c in self.classes]
        if top > len(self.classes):
            raise DataError(
                f"{self.name}: label {top - 1} at index {int(self.y.argmax())} is out of range "
                f"for {len(self.classes)} classes"
            )
        n = len(self.y)
        self.ids = torch.arange(n) if self.ids is None else torch.as_tensor(self.ids).long()
        _check_length(len(self.y), self.ids, "ids", self.name)
        _check_length(len(self.y), self.keys, "keys", self.name)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def kind(self) -> str:
        """``"image"``, ``"vector"`` or ``"text"``."""
        return sample_kind(self.x)

    @property
    def n_classes(self) -> int:
        """Number of class names (some may have no sample in a subset; see ``class_counts``)."""
        return len(self.classes or [])

    def class_counts(self) -> Tensor:
        """Samples per class id, int64 ``[n_classes]``."""
        return torch.bincount(self.y, minlength=self.n_classes)

    def class_indices(self) -> list[Tensor]:
        """For each class id, the int64 indices of its samples (ascending)."""
        order = torch.argsort(self.y, stable=True)
        return list(torch.split(order, self.class_counts().tolist()))

    def subset(self, indices: Any, *, compact_classes: bool = False, name: str | None = None
               ) -> "LabelledData":
        """The samples at ``indices`` (ints or a bool mask), ids and keys kept aligned.

        With ``compact_classes`` the class ids are renumbered to the classes present (in the old
        order), so that ``n_classes`` counts only those.
        """
        index = as_index(indices, len(self), f"{self.name}.subset")
        y, classes = self.y.index_select(0, index), list(self.classes or [])
        if compact_classes:
            present = torch.unique(y)
            remap = torch.full((max(self.n_classes, 1),), -1, dtype=torch.long)
            remap[present] = torch.arange(len(present))
            y, classes = remap[y], [classes[c] for c in present.tolist()]
        return LabelledData(take(self.x, index), y, classes, name or self.name,
                            self.ids.index_select(0, index), take(self.keys, index),
                            dict(self.info))

    def __repr__(self) -> str:
        shape = len(self.x) if isinstance(self.x, list) else tuple(self.x.shape)
        return (f"LabelledData(name={self.name!r}, kind={self.kind!r}, x={shape}, "
                f"n_classes={self.n_classes})")


@dataclass(eq=False)
class PairData:
    """Pairs ``(x1[i], x2[i])`` with ``y[i]``: **1 = same**, 0 = different, or a similarity score.

    ``groups[i]`` (optional) is the duplicate group of row i: rows of one group never act as
    each other's negatives in in-batch losses.
    """

    x1: Tensor | list[str]
    x2: Tensor | list[str]
    y: Tensor
    groups: Tensor | None = None
    name: str = "pairs"
    ids: Tensor | None = None
    keys: list[str] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.x1 = as_samples(self.x1, f"{self.name}: x1")
        self.x2 = as_samples(self.x2, f"{self.name}: x2")
        if sample_kind(self.x1) != sample_kind(self.x2):
            raise DataError(f"{self.name}: x1 holds {sample_kind(self.x1)}s but x2 holds "
                            f"{sample_kind(self.x2)}s")
        y = torch.as_tensor(np.asarray(self.y)) if not isinstance(self.y, Tensor) else self.y
        self.y = y.float().flatten()
        n = len(self.x1)
        if len(self.x2) != n or len(self.y) != n:
            raise DataError(f"{self.name}: mismatched lengths: x1 has {n}, x2 has {len(self.x2)}, "
                            f"y has {len(self.y)}")
        if not torch.isfinite(self.y).all():
            raise DataError(f"{self.name}: label at index "
                            f"{int((~torch.isfinite(self.y)).nonzero()[0])} is not a finite number")
        if self.groups is not None:
            self.groups = torch.as_tensor(np.asarray(self.groups)).long().flatten()
            _check_length(n, self.groups, "groups", self.name)
        self.ids = torch.arange(n) if self.ids is None else torch.as_tensor(self.ids).long()
        _check_length(n, self.ids, "ids", self.name)
        _check_length(n, self.keys, "keys", self.name)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def kind(self) -> str:
        return sample_kind(self.x1)

    @property
    def is_binary(self) -> bool:
        """True when every label is 0 or 1 (a same/different task, not scores)."""
        return bool(((self.y == 0) | (self.y == 1)).all())

    def subset(self, indices: Any, *, name: str | None = None) -> "PairData":
        index = as_index(indices, len(self), f"{self.name}.subset")
        return replace(self, x1=take(self.x1, index), x2=take(self.x2, index),
                       y=self.y.index_select(0, index), groups=take(self.groups, index),
                       name=name or self.name, ids=self.ids.index_select(0, index),
                       keys=take(self.keys, index), info=dict(self.info))

    def __repr__(self) -> str:
        return (f"PairData(name={self.name!r}, kind={self.kind!r}, n={len(self)}, "
                f"binary={self.is_binary}, groups={'yes' if self.groups is not None else 'no'})")
