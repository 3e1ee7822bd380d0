"""Episodes of N-way K-shot classification for training, as prototypical networks use them.

Snell, Swersky & Zemel (2017), "Prototypical Networks for Few-shot Learning", arXiv:1703.05175:
each training step is a small classification task drawn from the labelled data: ``n_way``
classes, ``k_shot`` support samples and ``n_query`` query samples of each, all distinct. The
paper trains with more ways than it tests (e.g. 60-way for 5-way tests) and with as many shots.

:class:`EpisodeBatchSampler` plans the episodes of an epoch (re-seeded per epoch, shardable like
every sampler of :mod:`.samplers`); :class:`EpisodeLoader` yields them as ``(x, labels, query)``
batches, batch kind ``"episodes"``: ``x`` the ``n_way * (k_shot + n_query)`` samples class by
class (the support of a class, then its queries), ``labels`` their int64 class ids, ``query`` a
bool mask, True on the query rows. Labels: equal ids = same class (1 = same).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from ...errors import ConfigError, DataError
from ..containers import LabelledData
from ..seeding import SeedLike
from .loader_base import BatchLoader
from .pairs import ClassIndex
from .samplers import EpochBatchSampler, _positive
from .sources import as_source


class EpisodeBatchSampler(EpochBatchSampler):
    """``episodes`` index batches per epoch, each ``n_way`` classes x ``k_shot + n_query`` samples.

    Only classes with at least ``k_shot + n_query`` samples take part; within an episode a sample
    appears once. ``episodes`` default: as many as cover the data about once per epoch.
    """

    def __init__(self, labels, n_way: int, k_shot: int = 1, n_query: int = 1, *,
                 episodes: int | None = None, seed: SeedLike = 0, shuffle: bool = True,
                 rank: int | None = None, world_size: int | None = None,
                 classes: list[str] | None = None, what: str = "labels") -> None:
        super().__init__(seed, shuffle, rank, world_size)
        self.n_way = _positive(n_way, "n_way (classes per episode)", 2)
        self.k_shot = _positive(k_shot, "k_shot (support samples per class)")
        self.n_query = _positive(n_query, "n_query (query samples per class)")
        index = ClassIndex(labels, what, classes)
        per = self.k_shot + self.n_query
        self.members = [m for m in np.split(index.order, index.start[1:]) if len(m) >= per]
        if len(self.members) < self.n_way:
            raise DataError(f"{what}: {len(self.members)} classes have the {per} samples an "
                            f"episode needs (k_shot={self.k_shot} + n_query={self.n_query}); "
                            f"n_way={self.n_way} needs {self.n_way}")
        covered = sum(len(m) for m in self.members)
        self.episodes = (_positive(episodes, "episodes") if episodes is not None
                         else max(1, covered // (self.n_way * per)))

    @property
    def batch_size(self) -> int:
        return self.n_way * (self.k_shot + self.n_query)

    def num_global_batches(self) -> int:
        return self.episodes

    def global_batches(self, rng: np.random.Generator) -> list[np.ndarray]:
        per = self.k_shot + self.n_query
        out = []
        for _ in range(self.episodes):
            ways = rng.choice(len(self.members), self.n_way, replace=False)
            out.append(np.concatenate([rng.choice(self.members[c], per, replace=False)
                                       for c in ways]))
        return out


def query_mask(n_way: int, k_shot: int, n_query: int) -> Tensor:
    """The ``query`` column of an episode laid out class by class, support first."""
    one = torch.cat([torch.zeros(k_shot, dtype=torch.bool), torch.ones(n_query, dtype=torch.bool)])
    return one.repeat(n_way)


class EpisodeLoader(BatchLoader):
    """``(x, labels, query)`` episodes of a LabelledData (see the module docstring)."""

    batch_kind = "episodes"

    def __init__(self, data: LabelledData, batch_size: int | None = None, seed: SeedLike = 0, *,
                 n_way: int = 5, k_shot: int = 1, n_query: int = 5, episodes: int | None = None,
                 tokenizer: Any = None, max_length: int | None = None, shuffle: bool = True,
                 **shard: Any) -> None:
        plan = EpisodeBatchSampler(data.y, n_way, k_shot, n_query, episodes=episodes, seed=seed,
                                   shuffle=shuffle, classes=data.classes, what=data.name, **shard)
        if batch_size is not None and int(batch_size) != plan.batch_size:
            raise ConfigError(f"batch_size={batch_size}: an episode holds n_way * (k_shot + "
                              f"n_query) = {plan.batch_size} samples; leave batch_size out")
        self.data, self.batch_size = data, plan.batch_size
        self.src = as_source(data.x, tokenizer, max_length, data.name)
        self.query = query_mask(plan.n_way, plan.k_shot, plan.n_query)
        super().__init__(plan)

    def _batch(self, table, index):
        return self.src.gather(index), self.data.y.index_select(0, index), self.query.clone()
