"""Batch-hard triplet loss (Hermans, Beyer & Leibe, 2017).

"In Defense of the Triplet Loss for Person Re-Identification", arXiv:1703.07737. In a P x K batch
(P classes, K samples each) every sample is an anchor once, paired with its *hardest* positive (the
farthest sample of its class) and its *hardest* negative (the closest sample of another class):

    L = mean_a max(0, max_p d(a, p) - min_n d(a, n) + margin)

or, with ``soft=True``, ``softplus(max_p d(a, p) - min_n d(a, n) + margin)`` (the paper's soft
margin is ``margin=0``).
"""

from __future__ import annotations

from ..distances import Distance
from ..geometry import batch_hard
from ..registry import LOSSES
from ._in_batch import InBatchTripletLoss


@LOSSES.register("batch_hard", input_kind="labelled", inputs="embeddings [B, D], labels [B]",
                 paper="Hermans, Beyer & Leibe 2017")
class BatchHardTripletLoss(InBatchTripletLoss):
    """Batch-hard triplet loss on ``(embeddings, labels)``.

    Inputs: ``embeddings`` float ``[B, D]`` and ``labels`` ``[B]`` integer class ids (equal id =
    same class, i.e. label 1 = same for every pair of equal ids). Anchors without a positive or a
    negative in the batch are left out of the mean; a batch with no usable anchor gives a zero loss
    (see ``degenerate_batches``). Selection runs without gradients on the distance matrix; the
    loss is then recomputed on the chosen pairs, so the gradient is that of the max/min.
    ``input_kind = "labelled"``. Paper: Hermans, Beyer & Leibe (2017).
    """

    select = staticmethod(batch_hard)

    def __init__(
        self, margin: float = 0.3, distance: str | Distance = "euclidean", soft: bool = False
    ) -> None:
        super().__init__(margin, distance, soft)
