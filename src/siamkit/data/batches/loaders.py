"""Loaders that yield training batches in siamkit's batch formats, from in-memory datasets.

==================  ===========================  ================================================
``batch_kind``      yields                       from
==================  ===========================  ================================================
``"pairs"``         ``(x1, x2, y)``, y float     :class:`LabelledData` (balanced pairs drawn
                    **1 = same**, 0 = different  afresh each epoch) or binary :class:`PairData`
``"scored_pairs"``  ``(x1, x2, target)`` float   :class:`PairData` (continuous similarity)
``"triplets"``      ``(anchor, positive, neg.)``  :class:`LabelledData` (random each epoch, given,
                                                 or from a callable ``triplets(epoch)``)
``"labelled"``      ``(x, labels)`` int64        :class:`LabelledData` (P x K batches, or random)
``"duplicates"``    ``(x1, x2)``: row i a dup.   :class:`PairData` rows with y = 1, no duplicate
                    pair                         group twice in a batch
==================  ===========================  ================================================

Images come as stored (uint8 ``[B, C, H, W]``), vectors float32 ``[B, D]``, texts int64 ids
``[B, L]`` padded with 0 and trimmed to the batch's longest text. A batch is gathered with one
tensor index per input (see :mod:`.sources`) and batches are planned per epoch by a
sampler from :mod:`.samplers`, so the loader never runs Python per sample and keeps up
with training on 2 CPU cores without worker processes. Every loader has ``batch_kind``, ``seed``,
``__len__`` (batches per epoch on this rank), ``set_epoch(e)`` (reproducible resume), and
``rank``/``world_size`` sharding. :func:`.factory.make_loader` builds the right one
for a batch kind. Pairs and triplets of texts can be batched by length instead of at random
(``length_buckets=True``, :mod:`.length_buckets`), which cuts padding: their losses are means over
rows, so which rows share a batch does not change what is learned.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Union

import numpy as np
import torch
from torch import Tensor

from ...errors import ConfigError, DataError, SiamkitWarning
from ..containers import LabelledData, PairData
from ..groups import duplicate_groups
from ..samples import as_index
from ..seeding import SeedLike, stream
from .duplicate_sampler import DuplicateBatchSampler
from .length_buckets import LengthBucketBatchSampler, row_lengths, text_sources
from .loader_base import TABLE_STREAM, BatchLoader
from .pairs import balanced_pair_indices
from .samplers import PKBatchSampler, RandomBatchSampler
from .sources import as_source
from .triplets import random_triplet_indices

def plan(n: int, batch_size: int, seed: SeedLike, shuffle: bool, drop_last: bool,
         length_buckets: bool, bucket_batches: int, shard: dict[str, Any]) -> Any:
    """The batch plan of a pairs or triplets loader: random batches, or length-bucketed ones
    (their lengths set per epoch by the loader's ``plan_for``)."""
    if length_buckets:
        return LengthBucketBatchSampler(np.zeros(n, dtype=np.int64), batch_size, seed=seed,
                                        shuffle=shuffle, drop_last=drop_last,
                                        bucket_batches=bucket_batches, **shard)
    return RandomBatchSampler(n, batch_size, seed=seed, shuffle=shuffle, drop_last=drop_last,
                              **shard)


class PairLoader(BatchLoader):
    """``(x1, x2, y)`` batches: balanced pairs of a LabelledData, or the rows of a PairData."""

    def __init__(self, data: LabelledData | PairData, batch_size: int, seed: SeedLike = 0, *,
                 scored: bool = False, tokenizer: Any = None, max_length: int | None = None,
                 shuffle: bool = True, drop_last: bool = False, length_buckets: bool = False,
                 bucket_batches: int = 50, **shard: Any) -> None:
        self.batch_kind = "scored_pairs" if scored else "pairs"
        self.data, self.batch_size = data, batch_size
        if isinstance(data, PairData):
            if not scored and not data.is_binary:
                raise ConfigError(f"{data.name}: labels are not all 0/1; use batch kind "
                                  f"'scored_pairs' for similarity scores")
            self.src1 = as_source(data.x1, tokenizer, max_length, data.name)
            self.src2 = as_source(data.x2, tokenizer, max_length, data.name)
            n = len(data)
        else:
            if scored:
                raise ConfigError(f"{data.name}: 'scored_pairs' needs PairData with scores")
            self.src1 = self.src2 = as_source(data.x, tokenizer, max_length, data.name)
            n = 2 * len(data)
        self.buckets = text_sources((self.src1, self.src2), data.name) if length_buckets else None
        super().__init__(plan(n, batch_size, seed, shuffle, drop_last, length_buckets,
                              bucket_batches, shard))
        self.table()  # draws epoch 0's pairs now: a single class or a lone sample fails here

    def plan_for(self, table):
        if self.buckets is not None:
            self.sampler.lengths = row_lengths(self.buckets, table[:2])

    def make_table(self, epoch: int) -> tuple[Tensor, ...]:
        if isinstance(self.data, PairData):
            rows = torch.arange(len(self.data))
            return rows, rows, self.data.y
        return balanced_pair_indices(self.data.y, stream(self.seed, epoch, TABLE_STREAM),
                                     classes=self.data.classes, what=self.data.name)

    def _batch(self, table, index):
        i1, i2, y = (t.index_select(0, index) for t in table)
        return self.src1.gather(i1), self.src2.gather(i2), y


TripletSource = Union[None, tuple, Callable[[int], tuple]]


class TripletLoader(BatchLoader):
    """``(anchor, positive, negative)`` batches from a LabelledData.

    ``triplets``: ``None`` draws random triplets each epoch (one per sample); a tuple of three index
    tensors is used as given; a callable ``triplets(epoch) -> (a, p, n)`` is asked each epoch (e.g.
    ``lambda e: mine_triplets(model, data, seed=e)[0]`` for hard triplets by the current model);
    a callable must give ``len(data)`` triplets each epoch.
    """

    batch_kind = "triplets"

    def __init__(self, data: LabelledData, batch_size: int, seed: SeedLike = 0, *,
                 triplets: TripletSource = None, tokenizer: Any = None,
                 max_length: int | None = None, shuffle: bool = True, drop_last: bool = False,
                 length_buckets: bool = False, bucket_batches: int = 50, **shard: Any) -> None:
        self.data, self.triplets, self.batch_size = data, triplets, batch_size
        self.src = as_source(data.x, tokenizer, max_length, data.name)
        self.buckets = text_sources((self.src,) * 3, data.name) if length_buckets else None
        n = len(triplets[0]) if isinstance(triplets, tuple) else len(data)
        super().__init__(plan(n, batch_size, seed, shuffle, drop_last, length_buckets,
                              bucket_batches, shard))
        self.table()

    def plan_for(self, table):
        if self.buckets is not None:
            self.sampler.lengths = row_lengths(self.buckets, table)

    def make_table(self, epoch: int) -> tuple[Tensor, ...]:
        if self.triplets is None:
            return random_triplet_indices(self.data.y, stream(self.seed, epoch, TABLE_STREAM),
                                          classes=self.data.classes, what=self.data.name)
        given = self.triplets(epoch) if callable(self.triplets) else self.triplets
        columns = tuple(as_index(t, len(self.data), "triplets") for t in given)
        if len(columns) != 3 or {len(c) for c in columns} != {self.sampler.n}:
            raise ConfigError(f"triplets: expected (anchor, positive, negative) index lists of "
                              f"{self.sampler.n} entries each, got lengths "
                              f"{[len(c) for c in columns]}")
        return columns

    def _batch(self, table, index):
        return tuple(self.src.gather(t.index_select(0, index)) for t in table)


class LabelledLoader(BatchLoader):
    """``(x, labels)`` batches: P x K batches (``sampler="pk"``, for batch-hard/batch-all losses)
    of ``batch_size // samples_per_class`` classes, or plain random batches (``"random"``)."""

    batch_kind = "labelled"

    def __init__(self, data: LabelledData, batch_size: int, seed: SeedLike = 0, *,
                 samples_per_class: int = 4, sampler: str = "pk", tokenizer: Any = None,
                 max_length: int | None = None, shuffle: bool = True, drop_last: bool = False,
                 **shard: Any) -> None:
        self.data = data
        self.src = as_source(data.x, tokenizer, max_length, data.name)
        if sampler == "pk":
            k = int(samples_per_class)
            if batch_size % k or batch_size // k < 2:
                raise ConfigError(f"batch_size={batch_size}: for P x K batches it must be a "
                                  f"multiple of samples_per_class={k} with P >= 2 classes")
            plan = PKBatchSampler(data.y, batch_size // k, k, seed=seed, shuffle=shuffle,
                                  classes=data.classes, what=data.name, **shard)
        elif sampler == "random":
            plan = RandomBatchSampler(len(data), batch_size, seed=seed, shuffle=shuffle,
                                      drop_last=drop_last, **shard)
        else:
            raise ConfigError(f"sampler: expected 'pk' or 'random', got {sampler!r}")
        self.batch_size = batch_size
        super().__init__(plan)

    def _batch(self, table, index):
        return self.src.gather(index), self.data.y.index_select(0, index)


class DuplicatesLoader(BatchLoader):
    """``(x1, x2)`` batches of duplicate pairs (rows with y = 1), no duplicate group twice in a
    batch (see :mod:`.duplicate_sampler`). Without ``data.groups``, groups are computed
    by :func:`siamkit.data.groups.duplicate_groups` (identical normalised texts share a group).
    ``localities`` (int, one per row of ``data``) and ``local_share`` make that share of batches
    from rows of nearby localities (harder in-batch negatives; see the sampler)."""

    batch_kind = "duplicates"

    def __init__(self, data: PairData, batch_size: int, seed: SeedLike = 0, *,
                 tokenizer: Any = None, max_length: int | None = None, shuffle: bool = True,
                 localities: Any = None, local_share: float = 0.0, **shard: Any) -> None:
        positives = (data.y == 1).nonzero().flatten()
        if localities is not None:
            localities = np.asarray(localities)
            if len(localities) != len(data):
                raise DataError(f"{data.name}: localities has {len(localities)} values for "
                                f"{len(data)} rows")
            localities = localities[positives.numpy()]
        if len(positives) == 0:
            raise ConfigError(f"{data.name}: no duplicate rows (label 1) for 'duplicates' batches")
        if len(positives) < len(data):
            warnings.warn(f"{data.name}: 'duplicates' batches use only the {len(positives)} rows "
                          f"labelled 1; {len(data) - len(positives)} other rows left out",
                          SiamkitWarning, stacklevel=2)
            data = data.subset(positives)
        groups = data.groups if data.groups is not None else duplicate_groups(data.x1, data.x2)
        self.data, self.batch_size = data, batch_size
        self.src1 = as_source(data.x1, tokenizer, max_length, data.name)
        self.src2 = as_source(data.x2, tokenizer, max_length, data.name)
        super().__init__(DuplicateBatchSampler(groups, batch_size, seed=seed, shuffle=shuffle,
                                               what=data.name, localities=localities,
                                               local_share=local_share, **shard))

    def _batch(self, table, index):
        return self.src1.gather(index), self.src2.gather(index)
