"""Semi-hard triplet miner (Schroff, Kalenichenko & Philbin, 2015, "FaceNet").

Semi-hard triplets are those whose negative is farther from the anchor than the positive but
still inside the margin: d(a, p) < d(a, n) <= d(a, p) + margin. They carry a gradient without the
collapse that the very hardest negatives cause early in training.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..distances import Distance
from ..errors import ConfigError
from ..registry import MINERS
from ._base import Mined, TripletMiner


@MINERS.register("semihard", input_kind="labelled", returns="triplet indices")
class SemiHardTripletMiner(TripletMiner):
    """Every semi-hard triplet of the batch: ``0 < d(a, n) - d(a, p) <= margin``.

    Call with ``(embeddings [B, D], labels [B])`` (class ids, equal = same, i.e. label 1 = same);
    returns int64 index tensors ``(a, p, n)``, ordered by (a, p, n). See :class:`TripletMiner` for
    ``distance``, ``max_triplets`` and ``seed``.
    """

    def __init__(
        self,
        margin: float = 0.2,
        distance: str | Distance = "euclidean",
        max_triplets: int | None = None,
        seed: int | torch.Generator = 0,
    ) -> None:
        super().__init__(distance, max_triplets, seed)
        if not margin > 0:
            raise ConfigError(f"margin: must be > 0, got {margin}")
        self.margin = float(margin)

    def mine(self, D: Tensor, pos: Tensor, neg: Tensor) -> Mined:
        return self._filtered(D, pos, neg, lambda gap: (gap > 0) & (gap <= self.margin))

    def extra_repr(self) -> str:
        return f"margin={self.margin}, " + super().extra_repr()
