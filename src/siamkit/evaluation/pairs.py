"""Verification pairs for calibration and evaluation, from labelled samples or explicit pairs.

Labels: **1 = same**, 0 = different. From labelled samples: each anchor with one positive (another
sample of its class) and one negative (a sample of another class), so half the pairs are same, as in
the MNIST protocol of Hadsell et al. (2006); samples whose class has no second sample are left out
as anchors. The samples are first put in :func:`siamkit.data.in_content_order`, so the same
samples stored in another order (IDX files, an image folder) give the same pairs. From pairs with
both labels: the pairs as given. From duplicate pairs only (label 1 everywhere, e.g. paraphrase
corpora): each pair plus one negative that joins its first text to the second text of a row from
another duplicate group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors import DataError


@dataclass
class VerificationPairs:
    """``x1[i]``, ``x2[i]``: tensors or lists of texts; ``y`` float ``[N]`` (1 = same)."""

    x1: Any
    x2: Any
    y: torch.Tensor
    note: str

    def __len__(self) -> int:
        return len(self.y)


def _take(x: Any, index: torch.Tensor) -> Any:
    if isinstance(x, list):
        return [x[i] for i in index.tolist()]
    return x.index_select(0, index)


def _from_labelled(data: Any, seed: int, what: str) -> VerificationPairs:
    from ..data import balanced_pair_indices, in_content_order

    data = in_content_order(data)  # pairs drawn by position: the order must not be storage's
    counts = torch.bincount(data.y, minlength=data.n_classes)
    anchors = torch.nonzero(counts[data.y] >= 2).flatten()
    if len(anchors) == 0:
        raise DataError(f"{what} ({data.name}): no class has two samples, so no same pair can be made")
    i1, i2, y = balanced_pair_indices(data.y, seed, anchors, classes=data.classes, what=what)
    left_out = len(data) - len(anchors)
    note = f"{len(y)} balanced pairs from {len(anchors)} anchors (seed {seed})"
    if left_out:
        note += f"; {left_out} samples of single-sample classes were not anchors"
    return VerificationPairs(_take(data.x, i1), _take(data.x, i2), y, note)


def _from_duplicates(data: Any, seed: int, what: str) -> VerificationPairs:
    from ..data import duplicate_groups

    n = len(data)
    groups = data.groups if data.groups is not None else duplicate_groups(data.x1, data.x2)
    if len(torch.unique(groups)) < 2:
        raise DataError(f"{what} ({data.name}): every pair is in one duplicate group; no different "
                        f"pair can be made")
    rng = np.random.default_rng(seed)
    g = groups.numpy()
    other = (np.arange(n) + rng.integers(1, n, size=n)) % n
    for _ in range(20):  # redraw the few partners that fell in the row's own group
        clash = np.flatnonzero(g[other] == g)
        if not len(clash):
            break
        other[clash] = (clash + rng.integers(1, n, size=len(clash))) % n
    keep = np.flatnonzero(g[other] != g)
    neg1, neg2 = torch.from_numpy(keep), torch.from_numpy(other[keep])
    x1 = _cat(data.x1, _take(data.x1, neg1))
    x2 = _cat(data.x2, _take(data.x2, neg2))
    y = torch.cat([torch.ones(n), torch.zeros(len(keep))])
    return VerificationPairs(x1, x2, y, f"{n} duplicate pairs + {len(keep)} different pairs "
                                        f"(second texts of other duplicate groups, seed {seed})")


def _cat(a: Any, b: Any) -> Any:
    return a + b if isinstance(a, list) else torch.cat([a, b])


def verification_pairs(data: Any, seed: int = 0, what: str = "data") -> VerificationPairs:
    """Same/different pairs of ``data`` (LabelledData or PairData); see the module docstring."""
    from ..data import LabelledData

    if isinstance(data, LabelledData):
        return _from_labelled(data, seed, what)
    if not data.is_binary:
        raise DataError(f"{what} ({data.name}): labels are similarity scores, not 1/0; same/"
                        f"different verification needs 1/0 labels")
    n_same = int((data.y == 1).sum())
    if n_same == len(data):
        return _from_duplicates(data, seed, what)
    if n_same == 0:
        raise DataError(f"{what} ({data.name}): no pair is labelled 1 (same)")
    return VerificationPairs(data.x1, data.x2, data.y.float(), f"{len(data)} pairs as given "
                             f"({n_same} same, {len(data) - n_same} different)")
