"""Batch-hard triplet loss (Hermans, Beyer & Leibe, 2017).

"In Defense of the Triplet Loss for Person Re-Identification", arXiv:1703.07737. In a P x K batch
(P classes, K samples each) every sample is an anchor once, paired with its *hardest* positive (the
farthest sample of its class) and its *hardest* negative (the closest sample of another class):

    L = mean_a max(0, max_p d(a, p) - min_n d(a, n) + margin)

or, with ``soft=True``, ``softplus(max_p d(a, p) - min_n d(a, n) + margin)`` (the paper's soft
margin is ``margin=0``).
"""

from __future__ import annotations

from torch import Tensor

from ..distances import Distance
from ..miners._select import batch_hard, distance_matrix, label_masks
from ._base import SiamkitLoss, check_labelled
from .triplet import TripletLoss

NO_TRIPLET = (
    "no anchor in the batch has both a positive and a negative (every class appears once, "
    "or all samples share one class)"
)


class BatchHardTripletLoss(SiamkitLoss):
    """Batch-hard triplet loss on ``(embeddings, labels)``.

    Inputs: ``embeddings`` float ``[B, D]`` and ``labels`` ``[B]`` integer class ids (equal id =
    same class, i.e. label 1 = same for every pair of equal ids). Anchors without a positive or a
    negative in the batch are left out of the mean; a batch with no usable anchor gives a zero loss
    (see ``degenerate_batches``). Selection runs without gradients on the distance matrix; the
    loss is then recomputed on the chosen pairs, so the gradient is that of the max/min.
    ``input_kind = "labelled"``. Paper: Hermans, Beyer & Leibe (2017).
    """

    input_kind = "labelled"

    def __init__(
        self, margin: float = 0.3, distance: str | Distance = "euclidean", soft: bool = False
    ) -> None:
        super().__init__()
        self.triplet = TripletLoss(margin=margin, distance=distance, soft=soft)

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
        a, p, n = batch_hard(D, pos, neg)
        if a.numel() == 0:
            return self._zero_loss(NO_TRIPLET, embeddings)
        return self.triplet(embeddings[a], embeddings[p], embeddings[n])

    def extra_repr(self) -> str:
        return self.triplet.extra_repr()
