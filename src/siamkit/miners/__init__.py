"""Triplet miners: choose (anchor, positive, negative) index triplets from a labelled batch.

Miners are optional and separate from losses: they run without gradients and return index
tuples, capped by ``max_triplets`` (seeded random subsample) so that memory stays bounded. Use
them with :class:`siamkit.losses.MinedTripletLoss`. Labels are class ids (equal = same; 1 = same
for a pair).
"""

from __future__ import annotations

from ._base import TripletMiner
from .all_triplets import AllTripletsMiner
from .hard import HardTripletMiner
from .semihard import SemiHardTripletMiner

__all__ = ["AllTripletsMiner", "HardTripletMiner", "SemiHardTripletMiner", "TripletMiner"]
