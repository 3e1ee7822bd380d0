"""Batch-hard miner (Hermans, Beyer & Leibe, 2017, "In Defense of the Triplet Loss").

For every anchor that has a positive and a negative in the batch: its hardest positive (farthest
same-class sample) and its hardest negative (closest other-class sample); one triplet per anchor.
"""

from __future__ import annotations

from torch import Tensor

from ..geometry import batch_hard
from ..registry import MINERS
from ._base import Mined, TripletMiner


@MINERS.register("hard", input_kind="labelled", returns="triplet indices")
class HardTripletMiner(TripletMiner):
    """One (anchor, hardest positive, hardest negative) triplet per usable anchor.

    Call with ``(embeddings [B, D], labels [B])`` (class ids, equal = same, i.e. label 1 = same);
    returns int64 index tensors ``(a, p, n)``. See :class:`TripletMiner` for ``distance``,
    ``max_triplets`` and ``seed``.
    """

    def mine(self, D: Tensor, pos: Tensor, neg: Tensor) -> Mined:
        a, p, n = batch_hard(D, pos, neg)
        return a, p, n, int(a.numel())
