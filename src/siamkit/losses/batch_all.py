"""Batch-all triplet loss (Hermans, Beyer & Leibe, 2017), in bounded memory.

"In Defense of the Triplet Loss for Person Re-Identification", arXiv:1703.07737: every valid
triplet of the batch (a, p same class, n another class) counts, and the sum of hinge terms is
divided by the number of *active* triplets (hinge > 0; the paper's "BA != 0" variant), so that
the many easy triplets do not wash the signal out:

    L = sum_(a,p,n) max(0, d(a, p) - d(a, n) + m) / #{(a, p, n) : d(a, p) - d(a, n) + m > 0}.

A P x K batch has B (K - 1) (B - K) triplets; materialising them as a ``[B, B, B]`` tensor would
need O(B^3) memory. Instead the loss is linear in the distance matrix once the active set is known:

    L = m + sum_(a,b) W[a, b] D[a, b] / N,   W[a, p] = #active n for (a, p),
                                             W[a, n] = -#active p for (a, n),

so the active counts are gathered without gradients in chunks of anchor-positive pairs (each a
``[c, B]`` slab), and autograd only goes through ``D``: memory O(B^2), the same order as batch-hard.
The gradient equals that of the hinge sum (the hinge is piecewise linear).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..distances import Distance
from ..errors import ConfigError
from ..miners._select import label_masks, pair_chunks
from ._base import SiamkitLoss, as_distance, check_labelled, resolve_distance
from .batch_hard import NO_TRIPLET


@torch.no_grad()
def active_triplet_weights(
    D: Tensor, pos: Tensor, neg: Tensor, margin: float
) -> tuple[Tensor, int, int]:
    """``(W, active, valid)``: the weights above, and the counts of active and valid triplets."""
    W = torch.zeros_like(D)
    active = 0
    for a, p in pair_chunks(pos):
        hinge = D[a, p].unsqueeze(1) - D[a] + margin
        on = (hinge > 0) & neg[a]
        per_pair = on.sum(1)
        W[a, p] += per_pair.to(W.dtype)
        W.index_add_(0, a, on.to(W.dtype), alpha=-1)
        active += int(per_pair.sum())
    valid = int((pos.sum(1) * neg.sum(1)).sum())
    return W, active, valid


class BatchAllTripletLoss(SiamkitLoss):
    """Batch-all triplet loss on ``(embeddings, labels)``: mean over the active triplets.

    Inputs: ``embeddings`` float ``[B, D]`` and ``labels`` ``[B]`` integer class ids (equal id =
    same class, label 1 = same). After each call ``last_active_fraction`` holds the fraction of
    valid triplets that were active (hinge > 0), ``last_active_triplets`` and
    ``last_valid_triplets`` the counts. No valid triplet in the batch gives a zero loss (see
    ``degenerate_batches``); valid triplets none of which is active give a plain zero loss.
    ``input_kind = "labelled"``. Paper: Hermans, Beyer & Leibe (2017).
    """

    input_kind = "labelled"

    def __init__(self, margin: float = 0.2, distance: str | Distance = "euclidean") -> None:
        super().__init__()
        if margin < 0:
            raise ConfigError(f"margin: must be >= 0, got {margin}")
        self.margin = float(margin)
        self.distance = resolve_distance(distance)
        self.last_active_fraction = float("nan")
        self.last_active_triplets = 0
        self.last_valid_triplets = 0

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        labels = check_labelled(embeddings, labels)
        pos, neg = label_masks(labels)
        D = as_distance(self.distance, self.distance.pairwise(embeddings))
        W, active, valid = active_triplet_weights(D.detach(), pos, neg, self.margin)
        self.last_active_triplets, self.last_valid_triplets = active, valid
        self.last_active_fraction = active / valid if valid else float("nan")
        if valid == 0:
            return self._zero_loss(NO_TRIPLET, embeddings)
        if active == 0:
            return D.sum() * 0.0
        return (W * D).sum() / active + self.margin

    def extra_repr(self) -> str:
        return f"margin={self.margin}, distance={self.distance.name!r}"
