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
Seeding, ``set_epoch`` and sharding as for every :mod:`.samplers` sampler.

Optional locality (``localities``, int ``[N]``, e.g. the chapter of a Bible verse, with nearby
ids for nearby text; ``local_share`` > 0): a share of each epoch's batches is cut from one
contiguous run of rows ordered by locality (random start, random order inside a locality), so
the in-batch negatives of those batches are rows from the same or neighbouring localities, the
hard negatives that a hard-negative triplet loss (Hermans et al. 2017, "In Defense of the Triplet
Loss") learns most from. A row whose group is already in the local batch being filled is
deferred; the deferred and unused rows are dealt as above over the remaining batches, so the
guarantee (no group twice in a batch) and the batch count hold; only a group larger than the
remaining batches loses rows (``left_out`` then is an upper bound per epoch).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

from ...errors import ConfigError, DataError, SiamkitWarning
from ..seeding import SeedLike
from .samplers import EpochBatchSampler, _positive


class DuplicateBatchSampler(EpochBatchSampler):
    """Index batches over rows with duplicate ``groups`` (int ``[N]``): no group twice per batch."""

    def __init__(self, groups, batch_size: int, *, seed: SeedLike = 0, shuffle: bool = True,
                 rank: int | None = None, world_size: int | None = None,
                 what: str = "pairs", localities=None, local_share: float = 0.0) -> None:
        super().__init__(seed, shuffle, rank, world_size)
        g = np.asarray(groups.numpy() if isinstance(groups, torch.Tensor) else groups)
        if g.ndim != 1 or len(g) == 0:
            raise DataError(f"{what}: expected a non-empty 1-D array of duplicate group ids")
        self.batch_size = _positive(batch_size, "batch_size", 2)
        _, self.groups = np.unique(g, return_inverse=True)
        self.n = len(g)
        self.n_batches = math.ceil(self.n / self.batch_size)
        if not 0.0 <= local_share <= 1.0:
            raise ConfigError(f"{what}: local_share must be in [0, 1], got {local_share!r}")
        if local_share and localities is None:
            raise ConfigError(f"{what}: local_share={local_share} needs localities")
        self.localities = None
        if localities is not None:
            loc = np.asarray(localities.numpy() if isinstance(localities, torch.Tensor)
                             else localities)
            if loc.shape != g.shape:
                raise DataError(f"{what}: localities has shape {loc.shape}, expected {g.shape} "
                                f"(one per row)")
            self.localities = loc
        self.local_share = float(local_share)
        self.n_local = 0 if localities is None else int(round(self.local_share * self.n_batches))
        if self.n_local >= self.n_batches and self.n_batches > 1:
            self.n_local = self.n_batches - 1  # deferred rows need somewhere to go
        sizes = np.bincount(self.groups)
        spread = self.n_batches - self.n_local
        self.left_out = int(np.clip(sizes - spread, 0, None).sum())
        if self.left_out:
            bound = "up to " if self.n_local else ""  # local batches may take some of them
            warnings.warn(f"{what}: {bound}{self.left_out} of {self.n} rows are left out of each "
                          f"epoch: "
                          f"the largest duplicate group has {sizes.max()} rows but an epoch has "
                          f"only {spread} batches to spread it over (use a smaller batch_size"
                          f"{' or local_share' if self.n_local else ''})",
                          SiamkitWarning, stacklevel=2)

    def num_global_batches(self) -> int:
        return self.n_batches

    def global_batches(self, rng: np.random.Generator) -> list[np.ndarray]:
        local, rest = self._local_batches(rng) if self.n_local else ([], np.arange(self.n))
        n_spread = self.n_batches - len(local)
        groups = self.groups[rest]
        group_rank = rng.permutation(self.groups.max() + 1)[groups]
        order = np.lexsort((rng.random(len(rest)), group_rank))  # groups contiguous, random inside
        g = groups[order]
        first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
        pos_in_group = np.arange(len(g)) - np.repeat(first, np.diff(np.r_[first, len(g)]))
        order = rest[order[pos_in_group < n_spread]]
        batches = local + [order[b::n_spread] for b in range(n_spread)]
        return [batches[i] for i in rng.permutation(self.n_batches)]

    def _local_batches(self, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
        """Up to ``n_local`` full batches from a contiguous run of locality-ordered rows."""
        order = np.lexsort((rng.random(self.n), self.localities))
        order = np.roll(order, -int(rng.integers(self.n)))
        used = np.zeros(self.n, dtype=bool)
        batches: list[np.ndarray] = []
        batch: list[int] = []
        seen: set[int] = set()
        for i in order:
            if len(batches) == self.n_local:
                break
            if self.groups[i] in seen:
                continue  # deferred to the spread batches
            batch.append(i)
            seen.add(self.groups[i])
            if len(batch) == self.batch_size:
                batches.append(np.array(batch))
                used[batch] = True
                batch, seen = [], set()
        return batches, np.flatnonzero(~used)
