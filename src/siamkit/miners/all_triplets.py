"""All-triplets miner: every valid (anchor, positive, negative) of a labelled batch.

With a ``margin``, only the triplets that violate it (d(a, n) - d(a, p) <= margin, i.e. with a
non-zero triplet loss; the "batch all" set of Hermans, Beyer & Leibe, 2017) are returned.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..distances import Distance
from ..errors import ConfigError
from ..registry import MINERS
from ._base import Mined, TripletMiner


@MINERS.register("all", input_kind="labelled", returns="triplet indices")
class AllTripletsMiner(TripletMiner):
    """All valid triplets, or with ``margin`` only those with ``d(a, n) - d(a, p) <= margin``.

    Call with ``(embeddings [B, D], labels [B])`` (class ids, equal = same, i.e. label 1 = same);
    returns int64 index tensors ``(a, p, n)``, ordered by (a, p, n). A P x K batch has
    B (K - 1) (B - K) valid triplets, so set ``max_triplets`` for large batches. See
    :class:`TripletMiner` for ``distance``, ``max_triplets`` and ``seed``.
    """

    def __init__(
        self,
        margin: float | None = None,
        distance: str | Distance = "euclidean",
        max_triplets: int | None = None,
        seed: int | torch.Generator = 0,
    ) -> None:
        super().__init__(distance, max_triplets, seed)
        if margin is not None and margin < 0:
            raise ConfigError(f"margin: must be >= 0 or None, got {margin}")
        self.margin = None if margin is None else float(margin)

    def mine(self, D: Tensor, pos: Tensor, neg: Tensor) -> Mined:
        if self.margin is None:
            return self._filtered(D, pos, neg, None)
        return self._filtered(D, pos, neg, lambda gap: gap <= self.margin)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, " + super().extra_repr()
