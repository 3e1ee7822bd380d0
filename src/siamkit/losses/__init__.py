"""Losses for Siamese networks, one file per family; each an ``nn.Module`` with ``input_kind``.

Labels follow siamkit's convention: **1 = same**, 0 = different; labelled batches carry integer
class ids. ``input_kind`` tells the trainer what a loss consumes. Each loss registers itself next to
its class in :data:`siamkit.registry.LOSSES` under its config name, with its ``input_kind`` and
inputs; ``python -m siamkit.catalog --print`` (or the README) shows them as a table, and
:mod:`siamkit.batch_kinds` says which batch kinds feed each input kind. Losses with learned
vectors per class (ArcFace, CosFace, sub-center ArcFace, Proxy-Anchor, ProxyNCA) own them as
parameters: trained and checkpointed with the run, not saved with the model (see ``_weights.py``).
"""

from __future__ import annotations

from ._base import SiamkitLoss
from .arcface import ArcFaceLoss
from .batch_all import BatchAllTripletLoss
from .batch_hard import BatchHardTripletLoss
from .batch_semihard import BatchSemiHardTripletLoss
from .bce import BinaryCrossEntropyLoss
from .cached_ranking import CachedMultipleNegativesRankingLoss
from .contrastive import ContrastiveLoss
from .cosface import CosFaceLoss
from .cosine_similarity import CosineSimilarityLoss
from .cross_batch_memory import CrossBatchMemory
from .hard_negative import HardNegativeTripletLoss
from .mined import MinedTripletLoss
from .ntxent import NTXentLoss
from .proxy_anchor import ProxyAnchorLoss
from .prototypical import PrototypicalLoss
from .proxy_nca import ProxyNCALoss
from .ranking import MultipleNegativesRankingLoss
from .subcenter_arcface import SubCenterArcFaceLoss
from .supcon import SupConLoss
from .triplet import TripletLoss

__all__ = [
    "ArcFaceLoss",
    "BatchAllTripletLoss",
    "BatchHardTripletLoss",
    "BatchSemiHardTripletLoss",
    "BinaryCrossEntropyLoss",
    "CachedMultipleNegativesRankingLoss",
    "ContrastiveLoss",
    "CosFaceLoss",
    "CosineSimilarityLoss",
    "CrossBatchMemory",
    "HardNegativeTripletLoss",
    "MinedTripletLoss",
    "MultipleNegativesRankingLoss",
    "NTXentLoss",
    "ProxyAnchorLoss",
    "PrototypicalLoss",
    "ProxyNCALoss",
    "SiamkitLoss",
    "SubCenterArcFaceLoss",
    "SupConLoss",
    "TripletLoss",
]
