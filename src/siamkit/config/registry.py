"""The names a config may use for losses, and what each loss trains on.

``[loss] name`` maps to a class of :mod:`siamkit.losses`; the class's ``input_kind`` says what it
consumes, and :data:`siamkit.batch_kinds.ACCEPTS` which batch kinds can feed it (the trainer's own
table, torch-free, so that a config is checked before anything heavy is imported).
Labels: 1 = same, 0 = different.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..batch_kinds import ACCEPTS, DEFAULT_BATCH_KIND  # noqa: F401 (re-exported)

LOSS_CLASSES = {
    "contrastive": "ContrastiveLoss",
    "binary_cross_entropy": "BinaryCrossEntropyLoss",
    "triplet": "TripletLoss",
    "batch_hard": "BatchHardTripletLoss",
    "batch_all": "BatchAllTripletLoss",
    "batch_semihard": "BatchSemiHardTripletLoss",
    "hard_negative": "HardNegativeTripletLoss",
    "multiple_negatives_ranking": "MultipleNegativesRankingLoss",
    "cosine_similarity": "CosineSimilarityLoss",
}
LOSS_INPUT_KINDS = {
    "contrastive": "pair_distances",
    "binary_cross_entropy": "pair_logits",
    "triplet": "triplets",
    "batch_hard": "labelled",
    "batch_all": "labelled",
    "batch_semihard": "labelled",
    "hard_negative": "duplicates",
    "multiple_negatives_ranking": "duplicates",
    "cosine_similarity": "scored_pairs",
}
# batch kind -> what the data must be: labelled samples (classes) or explicit pairs
NEEDS = {
    "pairs": ("labelled", "pairs"), "scored_pairs": ("pairs",), "triplets": ("labelled",),
    "labelled": ("labelled",), "duplicates": ("pairs",),
}


def loss_class(name: str) -> Any:
    """The :mod:`siamkit.losses` class registered as ``name``."""
    losses = importlib.import_module("siamkit.losses")
    return getattr(losses, LOSS_CLASSES[name])


def fitting_batch_kinds(loss_name: str) -> list[str]:
    kind = LOSS_INPUT_KINDS[loss_name]
    return [b for b, kinds in ACCEPTS.items() if kind in kinds]


def fitting_losses(batch_kind: str) -> list[str]:
    return [n for n, k in LOSS_INPUT_KINDS.items() if k in ACCEPTS[batch_kind]]
