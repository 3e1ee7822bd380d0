"""The base of every siamkit batch loader: an epoch's index table, a sampler's plan, a gather.

A loader owns a sampler (:mod:`.samplers`) that plans index batches per epoch, and an
optional *table* of index columns drawn per epoch (balanced pairs, triplets) that those batches
index into. ``set_epoch(e)`` re-seeds both, so a resumed run sees exactly the batches it would have
seen. With ``shuffle=False`` the table and the plan are the same every epoch (for validation).
"""

from __future__ import annotations

from typing import Iterator

from torch import Tensor

from .samplers import EpochBatchSampler

TABLE_STREAM = 2  # random stream for per-epoch pairs/triplets, apart from the batch plan's


class BatchLoader:
    """Base: a sampler plans index batches; ``_batch(index)`` gathers one from the epoch's table."""

    batch_kind = ""

    def __init__(self, sampler: EpochBatchSampler) -> None:
        self.sampler = sampler
        self.epoch = 0
        self._table: tuple[Tensor, ...] | None = None
        self._table_epoch = -1

    @property
    def seed(self) -> int:
        return self.sampler.seed

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.sampler)

    def make_table(self, epoch: int) -> tuple[Tensor, ...]:
        """Index columns that batches index into (per epoch when drawn at random)."""
        return ()

    def table(self) -> tuple[Tensor, ...]:
        epoch = self.epoch if self.sampler.shuffle else 0
        if self._table is None or self._table_epoch != epoch:
            self._table, self._table_epoch = self.make_table(epoch), epoch
            self.plan_for(self._table)
        return self._table

    def plan_for(self, table: tuple[Tensor, ...]) -> None:
        """Tell the sampler what it needs of a new epoch's table (length buckets: the rows'
        lengths); nothing for most samplers."""

    def _batch(self, table: tuple[Tensor, ...], index: Tensor) -> tuple[Tensor, ...]:
        raise NotImplementedError  # pragma: no cover

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        table = self.table()
        for index in self.sampler:
            yield self._batch(table, index)
