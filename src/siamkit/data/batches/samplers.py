"""Batch samplers that yield whole batches of indices, re-seeded per epoch and shardable.

Every sampler here yields int64 index tensors (one per batch), so a loader gathers a batch with one
tensor indexing operation instead of one Python call per sample. ``set_epoch(e)`` re-seeds from
``(seed, e)``: resuming at epoch ``e`` reproduces the batches of an uninterrupted run, and with
``shuffle=False`` every epoch sees the same batches (for validation). Under ``torch.distributed``
(or with explicit ``rank``/``world_size``) all ranks build the same epoch plan and rank ``r`` takes
batches ``r, r + W, ...``; the plan is padded by repeating its first batches so that every rank gets
the same number (as ``torch.utils.data.DistributedSampler`` does).

:class:`PKBatchSampler` implements the P x K batches of Hermans, Beyer & Leibe (2017), "In defense
of the triplet loss for person re-identification": P classes with K samples each. Each epoch every
sample appears at least once; a class's last chunk with fewer than K samples is topped up with other
samples of that class, and a batch short of P classes is topped up with chunks drawn from classes it
does not hold, so every batch has exactly P distinct classes with K >= 2 samples each.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.distributed as dist

from ...errors import ConfigError
from ..seeding import SeedLike, as_seed, stream
from .pairs import ClassIndex

_PLAN = 1


def resolve_rank(rank: int | None, world_size: int | None) -> tuple[int, int]:
    """``(rank, world_size)``: as given, else from ``torch.distributed`` if initialised, else
    ``(0, 1)``."""
    ready = dist.is_available() and dist.is_initialized()
    world = int(world_size) if world_size is not None else (dist.get_world_size() if ready else 1)
    rank = int(rank) if rank is not None else (dist.get_rank() if ready else 0)
    if world < 1 or not 0 <= rank < world:
        raise ConfigError(f"rank={rank}, world_size={world}: need 0 <= rank < world_size")
    return rank, world


def _positive(value: int, what: str, least: int = 1) -> int:
    if int(value) < least:
        raise ConfigError(f"{what}: must be at least {least}, got {value}")
    return int(value)


class EpochBatchSampler:
    """Base class: subclasses give ``num_global_batches()`` and ``global_batches(rng)``."""

    def __init__(self, seed: SeedLike = 0, shuffle: bool = True, rank: int | None = None,
                 world_size: int | None = None) -> None:
        self.seed = as_seed(seed)
        self.shuffle = shuffle
        self.rank, self.world_size = resolve_rank(rank, world_size)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def rng(self, purpose: int = _PLAN) -> np.random.Generator:
        return stream(self.seed, self.epoch if self.shuffle else 0, purpose)

    def num_global_batches(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def global_batches(self, rng: np.random.Generator) -> list[np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def __len__(self) -> int:
        return math.ceil(self.num_global_batches() / self.world_size)

    def __iter__(self):
        batches = self.global_batches(self.rng())
        if self.world_size > 1 and batches:
            total = len(batches) + (-len(batches) % self.world_size)
            batches = [batches[i % len(batches)] for i in range(self.rank, total, self.world_size)]
        for batch in batches:
            yield torch.from_numpy(np.ascontiguousarray(batch, dtype=np.int64))


class RandomBatchSampler(EpochBatchSampler):
    """Batches of ``batch_size`` over ``range(n)``, shuffled per epoch unless ``shuffle=False``."""

    def __init__(self, n: int, batch_size: int, *, seed: SeedLike = 0, shuffle: bool = True,
                 drop_last: bool = False, rank: int | None = None, world_size: int | None = None):
        super().__init__(seed, shuffle, rank, world_size)
        self.n, self.batch_size = int(n), _positive(batch_size, "batch_size")
        self.drop_last = drop_last

    def num_global_batches(self) -> int:
        return self.n // self.batch_size if self.drop_last else math.ceil(self.n / self.batch_size)

    def global_batches(self, rng: np.random.Generator) -> list[np.ndarray]:
        order = rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        cut = self.num_global_batches() * self.batch_size
        starts = range(self.batch_size, min(cut, self.n), self.batch_size)
        return list(np.split(order[:cut], starts))


class PKBatchSampler(EpochBatchSampler):
    """Batches of ``p`` classes x ``k`` samples (labels int ids; see the module docstring)."""

    def __init__(self, labels, p: int, k: int, *, seed: SeedLike = 0, shuffle: bool = True,
                 rank: int | None = None, world_size: int | None = None,
                 classes: list[str] | None = None, what: str = "labels") -> None:
        super().__init__(seed, shuffle, rank, world_size)
        self.p, self.k = _positive(p, "p (classes per batch)"), _positive(k, "k (per class)", 2)
        self.index = ClassIndex(labels, what, classes)
        self.index.require_positives(np.arange(len(self.index.dense)))
        if self.index.n_classes < self.p:
            raise ConfigError(f"p={self.p} classes per batch, but {what} has only "
                              f"{self.index.n_classes} classes with samples")
        self.members = np.split(self.index.order, self.index.start[1:])
        self.chunks = -(-self.index.count // self.k)  # chunks of k per class, rounded up

    @property
    def batch_size(self) -> int:
        return self.p * self.k

    def num_global_batches(self) -> int:
        return max(math.ceil(int(self.chunks.sum()) / self.p), int(self.chunks.max()))

    def _chunk(self, c: int, rng: np.random.Generator) -> np.ndarray:
        """k samples of class c; a class smaller than k gives all its samples, then repeats."""
        members = self.members[c]
        if len(members) >= self.k:
            return rng.choice(members, self.k, replace=False)
        extra = rng.choice(members, self.k - len(members))
        return np.concatenate([rng.permutation(members), extra])

    def global_batches(self, rng: np.random.Generator) -> list[np.ndarray]:
        chunks, owner = [], []
        for c in rng.permutation(self.index.n_classes):  # classes in random order, chunks together
            members = rng.permutation(self.members[c])
            short = -len(members) % self.k
            if short:  # top up the last chunk, preferably with samples not already in it
                pool = members[: len(members) - (len(members) % self.k)]
                extra = (rng.choice(pool, short, replace=False) if len(pool) >= short
                         else rng.choice(members, short, replace=True))
                members = np.concatenate([members, extra])
            chunks.append(members.reshape(-1, self.k))
            owner += [c] * len(chunks[-1])
        chunks_all, owner_arr = np.concatenate(chunks), np.asarray(owner)
        nb = self.num_global_batches()
        # Dealing chunk j to batch j % nb puts a class's consecutive chunks into distinct batches.
        slots = [[] for _ in range(nb)]
        for j in range(len(chunks_all)):
            slots[j % nb].append(j)
        batches = []
        for slot in slots:
            parts = [chunks_all[j] for j in slot]
            held = set(owner_arr[slot].tolist())
            if len(parts) < self.p:
                free = np.setdiff1d(np.arange(self.index.n_classes), list(held))
                for c in rng.choice(free, self.p - len(parts), replace=False):
                    parts.append(self._chunk(int(c), rng))
            batches.append(np.concatenate(parts))
        return [batches[i] for i in rng.permutation(nb)]
