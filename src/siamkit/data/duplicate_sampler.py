"""Batches of duplicate pairs for in-batch losses, with no two rows of one duplicate group.

Multiple negatives ranking (Henderson et al. 2017) and hard-negative triplet losses use, for row i,
every other row's second text as a negative. If two rows of a batch belonged to one duplicate group
(the same question asked twice), a true duplicate would be pushed away as a negative. This sampler
makes that impossible: each epoch it orders rows with each group's rows next to each other (groups
in random order, rows in random order inside), then deals position j to batch ``j % n_batches``. A
group with at most ``n_batches`` rows thus lands in distinct batches, and every row is used once per
epoch. Batches have ``ceil(N / batch_size)`` as their count and sizes that differ by at most one.

A group larger than the number of batches cannot be spread: its extra rows (chosen at random each
epoch) are left out of that epoch, and a :class:`siamkit.errors.SiamkitWarning` says how many.
Seeding, ``set_epoch`` and sharding as for every :mod:`siamkit.data.samplers` sampler.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

from ..errors import DataError, SiamkitWarning
from ._random import SeedLike
from .samplers import EpochBatchSampler, _positive


class DuplicateBatchSampler(EpochBatchSampler):
    """Index batches over rows with duplicate ``groups`` (int ``[N]``): no group twice per batch."""

    def __init__(self, groups, batch_size: int, *, seed: SeedLike = 0, shuffle: bool = True,
                 rank: int | None = None, world_size: int | None = None,
                 what: str = "pairs") -> None:
        super().__init__(seed, shuffle, rank, world_size)
        g = np.asarray(groups.numpy() if isinstance(groups, torch.Tensor) else groups)
        if g.ndim != 1 or len(g) == 0:
            raise DataError(f"{what}: expected a non-empty 1-D array of duplicate group ids")
        self.batch_size = _positive(batch_size, "batch_size", 2)
        _, self.groups = np.unique(g, return_inverse=True)
        self.n = len(g)
        self.n_batches = math.ceil(self.n / self.batch_size)
        sizes = np.bincount(self.groups)
        self.left_out = int(np.clip(sizes - self.n_batches, 0, None).sum())
        if self.left_out:
            warnings.warn(f"{what}: {self.left_out} of {self.n} rows are left out of each epoch: "
                          f"the largest duplicate group has {sizes.max()} rows but an epoch has "
                          f"only {self.n_batches} batches (use a smaller batch_size)",
                          SiamkitWarning, stacklevel=2)

    def num_global_batches(self) -> int:
        return self.n_batches

    def global_batches(self, rng: np.random.Generator) -> list[np.ndarray]:
        group_rank = rng.permutation(self.groups.max() + 1)[self.groups]
        order = np.lexsort((rng.random(self.n), group_rank))  # groups contiguous, random inside
        if self.left_out:
            g = self.groups[order]
            first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
            pos_in_group = np.arange(self.n) - np.repeat(first, np.diff(np.r_[first, self.n]))
            order = order[pos_in_group < self.n_batches]
        batches = [order[b::self.n_batches] for b in range(self.n_batches)]
        return [batches[i] for i in rng.permutation(self.n_batches)]
