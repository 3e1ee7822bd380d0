"""Batch-all triplet loss (Hermans, Beyer & Leibe, 2017), in O(B^2) memory.

"In Defense of the Triplet Loss for Person Re-Identification", arXiv:1703.07737: every valid
triplet of the batch (a, p same class, n another class) counts, and the sum of hinge terms is
divided by the number of *active* triplets (hinge > 0; the paper's "BA != 0" variant), so that
the many easy triplets do not wash the signal out:

    L = sum_(a,p,n) max(0, d(a, p) - d(a, n) + m) / N,
    N = #{(a, p, n) : d(a, p) - d(a, n) + m > 0}.

A P x K batch has B (K - 1) (B - K) triplets; a ``[B, B, B]`` tensor would need O(B^3) memory.
Once the active set is known the loss is *linear* in the distance matrix D:

    L = m + sum_(a,b) W[a, b] D[a, b] / N,   W[a, p] = #active n for (a, p),
                                             W[a, n] = -#active p for (a, n),

so W and N are gathered without gradients in chunks of anchor-positive pairs (``[c, B]`` slabs),
and the gradient is that of ``sum(W * D) / N`` (the hinge is piecewise linear, so this is exact).
For the built-in euclidean and cosine distances that gradient goes through one ``[B, B] x [B, D]``
product (D is a function of the Gram matrix E E^T), so no ``[B, B]`` autograd graph is kept either.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..distances import Distance, get_distance
from ..errors import ConfigError
from ..geometry import check_labelled, chunked, distance_matrix
from ..registry import LOSSES
from ._base import SiamkitLoss, as_distance, resolve_distance
from ._in_batch import NO_TRIPLET


@torch.no_grad()
def active_triplet_weights(D: Tensor, labels: Tensor, margin: float) -> tuple[Tensor, int, int]:
    """``(W, active, valid)``: the weights above, and the counts of active and valid triplets.
    Holds D, W and one ``[c, B]`` slab; no other ``[B, B]`` buffer outlives the pair list."""
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    same.fill_diagonal_(False)
    anchors, positives = same.nonzero(as_tuple=True)
    del same
    W = torch.zeros_like(D)
    active = 0
    for a, p in chunked(anchors, positives, D.shape[1]):
        slab = D[a].neg_().add_(D[a, p].unsqueeze(1) + margin).gt_(0)  # hinge > 0, as 0/1
        slab.mul_(labels[a].unsqueeze(1) != labels.unsqueeze(0))  # negatives only
        per_pair = slab.sum(1)
        W[a, p] += per_pair
        W.index_add_(0, a, slab, alpha=-1)
        active += int(per_pair.sum())
    class_size = labels.unique(return_inverse=True, return_counts=True)
    size = class_size[2][class_size[1]]
    valid = int(((size - 1) * (labels.numel() - size)).sum())
    return W, active, valid


def linear_in_distances(dist: Distance, emb: Tensor, W: Tensor, D: Tensor) -> Tensor:
    """A scalar whose gradient with respect to ``emb`` is that of ``sum(W * D(emb))``.

    Its value is not meaningful; ``W`` is consumed (overwritten). For the Gram-matrix distances
    the chain rule through D is folded into ``W`` and the graph is ``O(B D)``.
    """
    if dist is get_distance("euclidean") or dist is get_distance("squared_euclidean"):
        if dist.name == "euclidean":  # d sqrt(s) = ds / (2 sqrt(s)); zero where D = 0 (safe sqrt)
            W.div_(D).mul_(0.5).masked_fill_(D == 0, 0.0)
        # s[a, b] = |e_a|^2 + |e_b|^2 - 2 e_a . e_b
        row_weight = W.sum(1) + W.sum(0)
        return (row_weight * emb.pow(2).sum(1)).sum() - 2.0 * (emb * (W @ emb)).sum()
    if dist is get_distance("cosine") or dist is get_distance("cosine_similarity"):
        unit = F.normalize(emb, dim=1, eps=1e-12)  # D = const - u_a . u_b
        return -(unit * (W @ unit)).sum()
    return (W * as_distance(dist, dist.pairwise(emb))).sum()


@LOSSES.register("batch_all", input_kind="labelled", inputs="embeddings [B, D], labels [B]",
                 paper="Hermans, Beyer & Leibe 2017")
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
        D = distance_matrix(self.distance, embeddings)
        W, active, valid = active_triplet_weights(D, labels, self.margin)
        self.last_active_triplets, self.last_valid_triplets = active, valid
        self.last_active_fraction = active / valid if valid else float("nan")
        if valid == 0:
            return self._zero_loss(NO_TRIPLET, embeddings)
        if active == 0:
            return embeddings.sum() * 0.0
        with torch.no_grad():
            value = torch.dot(W.flatten(), D.flatten()) / active + self.margin
        surrogate = linear_in_distances(self.distance, embeddings, W, D) / active
        return value + (surrogate - surrogate.detach())

    def extra_repr(self) -> str:
        return f"margin={self.margin}, distance={self.distance.name!r}"
