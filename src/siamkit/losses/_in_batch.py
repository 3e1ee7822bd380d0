"""The shared body of the in-batch triplet losses that pick their triplets from a distance matrix.

Batch-hard (Hermans et al. 2017) and batch semi-hard (Schroff et al. 2015) differ only in which
(anchor, positive, negative) index triplets they select from the batch's distance matrix; both then
recompute a :class:`TripletLoss` on the selected embeddings, so gradients flow through the chosen
distances only. Labels: equal class ids = same (1 = same).
"""

from __future__ import annotations

from typing import Callable

from torch import Tensor

from ..distances import Distance
from ..geometry import (
    check_labelled,
    cross_distance_matrix,
    distance_matrix,
    label_masks,
    reference_masks,
)
from ._base import SiamkitLoss
from .triplet import TripletLoss

NO_TRIPLET = (
    "no anchor in the batch has both a positive and a negative (every class appears once, "
    "or all samples share one class)"
)
Selection = Callable[[Tensor, Tensor, Tensor], tuple[Tensor, Tensor, Tensor]]


class InBatchTripletLoss(SiamkitLoss):
    """A :class:`TripletLoss` on the triplets ``select(distances, positive_mask, negative_mask)``
    returns; subclasses set ``select``. ``input_kind = "labelled"``."""

    input_kind = "labelled"
    select: Selection

    def __init__(self, margin: float, distance: str | Distance, soft: bool = False) -> None:
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
        a, p, n = type(self).select(distance_matrix(self.distance, embeddings), pos, neg)
        if a.numel() == 0:
            return self._zero_loss(NO_TRIPLET, embeddings)
        return self.triplet(embeddings[a], embeddings[p], embeddings[n])

    def reference_loss(self, embeddings: Tensor, labels: Tensor, refs: Tensor, ref_labels: Tensor,
                       same: Tensor) -> Tensor:
        """The loss with anchors from the batch and positives and negatives from ``refs`` (a
        cross-batch memory, :mod:`.cross_batch_memory`); ``same`` ``[B, M]`` marks each anchor's
        own copy among the references, never its positive."""
        labels = check_labelled(embeddings, labels)
        pos, neg = reference_masks(labels, ref_labels, same)
        d = cross_distance_matrix(self.distance, embeddings, refs)
        a, p, n = type(self).select(d, pos, neg)
        if a.numel() == 0:
            return self._zero_loss(NO_TRIPLET, embeddings)
        return self.triplet(embeddings[a], refs[p], refs[n])

    def extra_repr(self) -> str:
        return self.triplet.extra_repr()
