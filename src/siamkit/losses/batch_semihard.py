"""Batch semi-hard triplet loss (Schroff, Kalenichenko & Philbin, 2015).

"FaceNet: A Unified Embedding for Face Recognition and Clustering", CVPR 2015. Every anchor-positive
pair of the batch is used; its negative is *semi-hard*: the closest negative that is still farther
from the anchor than the positive (d(a, p) < d(a, n)), so that it lies inside the margin when the
loss is active without being the hardest, collapse-prone one. Where no negative is farther than the
positive, the farthest negative is used (the rule of TensorFlow Addons' ``triplet_semihard_loss``):

    L = mean_(a, p) max(0, d(a, p) - d(a, n*(a, p)) + margin).
"""

from __future__ import annotations

from torch import Tensor

from ..distances import Distance
from ..miners._select import distance_matrix, label_masks, semihard_per_pair
from ._base import SiamkitLoss, check_labelled
from .batch_hard import NO_TRIPLET
from .triplet import TripletLoss


class BatchSemiHardTripletLoss(SiamkitLoss):
    """Semi-hard triplet loss on ``(embeddings, labels)``, mean over all anchor-positive pairs.

    Inputs: ``embeddings`` float ``[B, D]`` and ``labels`` ``[B]`` integer class ids (equal id =
    same class, label 1 = same). Negatives are chosen without gradients; a batch with no
    anchor-positive pair that has a negative gives a zero loss (see ``degenerate_batches``).
    ``input_kind = "labelled"``. Paper: Schroff et al. (2015).
    """

    input_kind = "labelled"

    def __init__(self, margin: float = 0.2, distance: str | Distance = "euclidean") -> None:
        super().__init__()
        self.triplet = TripletLoss(margin=margin, distance=distance)

    @property
    def margin(self) -> float:
        return self.triplet.margin

    @property
    def distance(self) -> Distance:
        return self.triplet.distance

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        labels = check_labelled(embeddings, labels)
        pos, neg = label_masks(labels)
        D = distance_matrix(self.distance, embeddings)
        a, p, n = semihard_per_pair(D, pos, neg)
        if a.numel() == 0:
            return self._zero_loss(NO_TRIPLET, embeddings)
        return self.triplet(embeddings[a], embeddings[p], embeddings[n])

    def extra_repr(self) -> str:
        return self.triplet.extra_repr()
