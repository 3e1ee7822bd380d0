"""Batch semi-hard triplet loss (Schroff, Kalenichenko & Philbin, 2015).

"FaceNet: A Unified Embedding for Face Recognition and Clustering", CVPR 2015. Every anchor-positive
pair of the batch is used; its negative is *semi-hard*: the closest negative that is still farther
from the anchor than the positive (d(a, p) < d(a, n)), so that it lies inside the margin when the
loss is active without being the hardest, collapse-prone one. Where no negative is farther than the
positive, the farthest negative is used (the rule of TensorFlow Addons' ``triplet_semihard_loss``):

    L = mean_(a, p) max(0, d(a, p) - d(a, n*(a, p)) + margin).
"""

from __future__ import annotations

from ..distances import Distance
from ..geometry import semihard_per_pair
from ..registry import LOSSES
from ._in_batch import InBatchTripletLoss


@LOSSES.register("batch_semihard", input_kind="labelled", inputs="embeddings [B, D], labels [B]",
                 paper="Schroff et al. 2015")
class BatchSemiHardTripletLoss(InBatchTripletLoss):
    """Semi-hard triplet loss on ``(embeddings, labels)``, mean over all anchor-positive pairs.

    Inputs: ``embeddings`` float ``[B, D]`` and ``labels`` ``[B]`` integer class ids (equal id =
    same class, label 1 = same). Negatives are chosen without gradients; a batch with no
    anchor-positive pair that has a negative gives a zero loss (see ``degenerate_batches``).
    ``input_kind = "labelled"``. Paper: Schroff et al. (2015).
    """

    select = staticmethod(semihard_per_pair)

    def __init__(self, margin: float = 0.2, distance: str | Distance = "euclidean") -> None:
        super().__init__(margin, distance)
