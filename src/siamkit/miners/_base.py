"""Base class of siamkit's triplet miners: seeded, capped, gradient-free index selection.

Miners follow the design of pytorch-metric-learning (Musgrave et al., "A Metric Learning Reality
Check", ECCV 2020): a miner looks at a batch of embeddings and labels and returns index tuples
``(anchor, positive, negative)``; it never builds a graph. A loss then uses the indexed
embeddings (see :class:`siamkit.losses.MinedTripletLoss`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..distances import Distance, get_distance
from ..errors import ConfigError
from ..geometry import check_labelled, distance_matrix, label_masks, triplets_where

Triplets = tuple[Tensor, Tensor, Tensor]
Mined = tuple[Tensor, Tensor, Tensor, int]


class TripletMiner(nn.Module):
    """Common part: distance, ``max_triplets`` cap, seed, and the no-grad ``forward``.

    ``forward(embeddings [B, D], labels [B])`` returns three int64 ``[T]`` tensors (anchor,
    positive, negative indices into the batch). Labels are class ids: equal id = same class
    (label 1 = same for the pair). When more than ``max_triplets`` triplets qualify, a uniform
    random subset of ``max_triplets`` is kept, drawn from a generator seeded with ``seed`` when the
    miner is built (so a run is reproducible call after call; a ``torch.Generator`` may be given
    instead). ``last_num_triplets`` holds how many qualified before the cap.
    """

    def __init__(
        self,
        distance: str | Distance = "euclidean",
        max_triplets: int | None = None,
        seed: int | torch.Generator = 0,
    ) -> None:
        super().__init__()
        if max_triplets is not None and max_triplets < 1:
            raise ConfigError(f"max_triplets: must be >= 1 or None, got {max_triplets}")
        self.distance = get_distance(distance)
        self.max_triplets = max_triplets
        self.seed = seed
        if isinstance(seed, torch.Generator):
            self._generator = seed
        else:
            self._generator = torch.Generator().manual_seed(int(seed))
        self.last_num_triplets = 0

    def mine(self, D: Tensor, pos: Tensor, neg: Tensor) -> Mined:
        """``(a, p, n, total)`` from distances ``D`` (smaller = closer) and label masks; may
        already respect the cap (``total`` = number that qualified before it)."""
        raise NotImplementedError

    def forward(self, embeddings: Tensor, labels: Tensor) -> Triplets:
        with torch.no_grad():
            labels = check_labelled(embeddings, labels)
            pos, neg = label_masks(labels)
            D = distance_matrix(self.distance, embeddings)
            a, p, n, self.last_num_triplets = self.mine(D, pos, neg)
            return self._cap(a, p, n)

    def _cap(self, a: Tensor, p: Tensor, n: Tensor) -> Triplets:
        if self.max_triplets is None or a.numel() <= self.max_triplets:
            return a, p, n
        keep = torch.randperm(a.numel(), generator=self._generator)[: self.max_triplets]
        keep = keep.sort().values.to(a.device)
        return a[keep], p[keep], n[keep]

    def _filtered(self, D: Tensor, pos: Tensor, neg: Tensor, keep) -> Mined:
        """All triplets passing ``keep(d_an - d_ap)``, capped while they are collected."""
        return triplets_where(D, pos, neg, keep, self.max_triplets, self._generator)

    def extra_repr(self) -> str:
        return (
            f"distance={self.distance.name!r}, max_triplets={self.max_triplets}, seed={self.seed}"
        )
