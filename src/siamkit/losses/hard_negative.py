"""Hard-negative triplet loss for batches of duplicate pairs (duplicate-question detection).

The loss of the "Siamese networks for duplicate questions" exercise of DeepLearning.AI's NLP
specialisation (course 3), after the in-batch negatives of Henderson et al. (2017) and the
semi-hard negatives of Schroff et al. (2015). Rows i of ``v1`` and ``v2`` are a duplicate pair;
every other row of the batch is a negative. With S = normalise(v1) normalise(v2)^T (cosine scores):

    positive_i         = S[i, i]
    mean_negative_i    = mean_(j != i) S[i, j]
    closest_negative_i = max { S[i, j] : j != i, S[i, j] < S[i, i] }   (term 0 if the set is empty)
    L = mean_i [ max(0, m - positive_i + closest_negative_i)
               + max(0, m - positive_i + mean_negative_i) ]

Published course code takes the maximum over the wrong axis and uses ``max`` where an element-wise
``maximum`` is meant; this is the definition above, tested against a plain loop.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..errors import ConfigError
from ..registry import LOSSES
from ._base import SiamkitLoss, check_same_shape

NO_NEGATIVE = "a batch of one duplicate pair has no in-batch negative"


@LOSSES.register("hard_negative", input_kind="duplicates", inputs="v1 [B, D], v2 [B, D]",
                 paper="the duplicate-questions course recipe")
class HardNegativeTripletLoss(SiamkitLoss):
    """Closest-negative plus mean-negative triplet loss on cosine scores of duplicate pairs.

    Inputs: ``v1``, ``v2`` float ``[B, D]`` embeddings; row i of ``v1`` and row i of ``v2`` are
    duplicates (label 1 = same), rows i != j are taken as different (0). Needs B >= 2; a batch of
    one gives a zero loss (see ``degenerate_batches``). ``input_kind = "duplicates"``.
    """

    input_kind = "duplicates"

    def __init__(self, margin: float = 0.25) -> None:
        super().__init__()
        if margin < 0:
            raise ConfigError(f"margin: must be >= 0, got {margin}")
        self.margin = float(margin)

    def forward(self, v1: Tensor, v2: Tensor) -> Tensor:
        check_same_shape(v1, v2, ("v1", "v2"))
        batch = v1.shape[0]
        if batch < 2:
            return self._zero_loss(NO_NEGATIVE, v1, v2)
        scores = F.normalize(v1, dim=1, eps=1e-12) @ F.normalize(v2, dim=1, eps=1e-12).T
        positive = scores.diagonal()
        mean_negative = (scores.sum(1) - positive) / (batch - 1)
        with torch.no_grad():
            eye = torch.eye(batch, dtype=torch.bool, device=scores.device)
            below = ~eye & (scores < positive.unsqueeze(1))
            closest_idx = torch.where(below, scores, float("-inf")).argmax(1)
            has_closest = below.any(1)
        closest = scores.gather(1, closest_idx.unsqueeze(1)).squeeze(1)
        closest_term = (self.margin - positive + closest).clamp_min(0) * has_closest
        mean_term = (self.margin - positive + mean_negative).clamp_min(0)
        return (closest_term + mean_term).mean()

    def extra_repr(self) -> str:
        return f"margin={self.margin}"
