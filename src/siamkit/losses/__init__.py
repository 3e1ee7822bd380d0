"""Losses for Siamese networks, one file per family; each an ``nn.Module`` with ``input_kind``.

Labels follow siamkit's convention: **1 = same**, 0 = different; labelled batches carry integer
class ids. ``input_kind`` tells the trainer what a loss consumes:

============================  ==================  ===========================================
loss                          input_kind          inputs
============================  ==================  ===========================================
ContrastiveLoss               pair_distances      d [B], y [B]
BinaryCrossEntropyLoss        pair_logits         logits [B], y [B]
TripletLoss                   triplets            anchor, positive, negative [B, D]
BatchHardTripletLoss          labelled            embeddings [B, D], labels [B]
BatchAllTripletLoss           labelled            embeddings [B, D], labels [B]
BatchSemiHardTripletLoss      labelled            embeddings [B, D], labels [B]
MinedTripletLoss              labelled            embeddings [B, D], labels [B]
HardNegativeTripletLoss       duplicates          v1 [B, D], v2 [B, D]
MultipleNegativesRankingLoss  duplicates          a [B, D], p [B, D]
CosineSimilarityLoss          scored_pairs        u [B, D], v [B, D], target [B]
============================  ==================  ===========================================
"""

from __future__ import annotations

from ._base import SiamkitLoss
from .batch_all import BatchAllTripletLoss
from .batch_hard import BatchHardTripletLoss
from .batch_semihard import BatchSemiHardTripletLoss
from .bce import BinaryCrossEntropyLoss
from .contrastive import ContrastiveLoss
from .cosine_similarity import CosineSimilarityLoss
from .hard_negative import HardNegativeTripletLoss
from .mined import MinedTripletLoss
from .ranking import MultipleNegativesRankingLoss
from .triplet import TripletLoss

__all__ = [
    "BatchAllTripletLoss",
    "BatchHardTripletLoss",
    "BatchSemiHardTripletLoss",
    "BinaryCrossEntropyLoss",
    "ContrastiveLoss",
    "CosineSimilarityLoss",
    "HardNegativeTripletLoss",
    "MinedTripletLoss",
    "MultipleNegativesRankingLoss",
    "SiamkitLoss",
    "TripletLoss",
]
