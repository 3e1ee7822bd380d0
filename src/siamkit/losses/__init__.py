"""Losses for Siamese networks, one file per family; each an ``nn.Module`` with ``input_kind``.

Labels follow siamkit's convention: **1 = same**, 0 = different; labelled batches carry integer
class ids. ``input_kind`` tells the trainer what a loss consumes. Each loss registers itself next to
its class in :data:`siamkit.registry.LOSSES` under its config name, with its ``input_kind`` and
inputs; ``python -m siamkit.catalog --print`` (or the README) shows them as a table, and
:mod:`siamkit.batch_kinds` says which batch kinds feed each input kind.
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
