"""Multiple negatives ranking loss (Henderson et al., 2017): in-batch softmax over pairs.

"Efficient Natural Language Response Suggestion for Smart Reply", arXiv:1705.00652. For a batch
of pairs (a_i, p_i), every other p_j of the batch is a negative for a_i; the loss is the
cross-entropy of picking p_i among all p_j, with logits ``scale * sim(a_i, p_j)``:

    L = mean_i [ -log softmax_j(scale * S[i, j])[i] ],   S[i, j] = sim(a_i, p_j).

``symmetric=True`` also scores a_i among all a_j for each p_i and averages the two directions.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..distances import pairwise_cosine_similarity
from ..errors import ConfigError
from ..registry import LOSSES
from ._base import SiamkitLoss, check_same_shape

SIMILARITIES = ("cosine", "dot")


@LOSSES.register("multiple_negatives_ranking", input_kind="duplicates", inputs="a [B, D], p [B, D]",
                 paper="Henderson et al. 2017")
class MultipleNegativesRankingLoss(SiamkitLoss):
    """In-batch softmax cross-entropy; row i of ``a`` and of ``p`` are a positive pair.

    Inputs: ``a``, ``p`` float ``[B, D]`` embeddings; (a_i, p_i) are the same (label 1), every
    (a_i, p_j), j != i, is taken as different. ``similarity`` is "cosine" or "dot"; ``scale``
    multiplies the similarities (an inverse temperature). A batch of one has no negative and gives
    a zero loss (see ``degenerate_batches``). ``input_kind = "duplicates"``.
    Paper: Henderson et al. (2017).
    """

    input_kind = "duplicates"

    def __init__(
        self, scale: float = 20.0, symmetric: bool = False, similarity: str = "cosine"
    ) -> None:
        super().__init__()
        if not scale > 0:
            raise ConfigError(f"scale: must be > 0, got {scale}")
        if similarity not in SIMILARITIES:
            raise ConfigError(f"similarity: must be one of {SIMILARITIES}, got {similarity!r}")
        self.scale = float(scale)
        self.symmetric = bool(symmetric)
        self.similarity = similarity

    def forward(self, a: Tensor, p: Tensor) -> Tensor:
        check_same_shape(a, p, ("a", "p"))
        if a.shape[0] < 2:
            return self._zero_loss("a batch of one pair has no in-batch negative", a, p)
        if self.similarity == "cosine":
            logits = pairwise_cosine_similarity(a, p) * self.scale
        else:
            logits = (a @ p.T) * self.scale
        target = torch.arange(a.shape[0], device=a.device)
        loss = F.cross_entropy(logits, target)
        if self.symmetric:
            loss = 0.5 * (loss + F.cross_entropy(logits.T, target))
        return loss

    def extra_repr(self) -> str:
        return f"scale={self.scale}, symmetric={self.symmetric}, similarity={self.similarity!r}"
