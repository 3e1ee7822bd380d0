"""What the trainer does with a loader: its batch kind, its order each epoch, its share per rank.

A loader is anything re-iterable that yields batch tuples: a list of batches, a
``torch.utils.data.DataLoader``, or a siamkit loader. Its *batch kind* comes from its
``batch_kind`` attribute (or its dataset's); else from the trainer's ``batch_kind`` argument; else
the kind the loss consumes.

Repeatable order: each epoch the trainer calls ``set_epoch(epoch)`` on the loader (and on a
DataLoader's sampler and batch sampler) where it exists, reseeds a DataLoader's own generator from
(seed, epoch), and reseeds the global generators from (seed, epoch, rank) (see
:func:`siamkit.training.checkpoint.epoch_seed`), which a shuffling DataLoader without a generator
draws its order from. So the data of epoch e is the same whether or not the run was interrupted.

Several processes (:func:`shard`): a loader already sharded over the ranks (a ``world_size`` > 1
attribute on it or its sampler, as siamkit loaders built after the process group have, or a
``DistributedSampler``) is used as it is; a loader with ``shard(rank, world_size)`` shards itself; a
DataLoader over a map-style dataset gets a ``DistributedSampler`` (each rank its own batches of
``batch_size``, so one optimizer step sees ``world_size * batch_size`` samples, as usual with DDP);
any other loader is wrapped in :class:`SplitBatches`: every rank reads every batch and keeps its
share of the rows, so one step sees the loader's batch, as one process would.
"""

from __future__ import annotations

import warnings
from typing import Any, Iterable, Iterator

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import (
    DataLoader,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
)

from ..batch_kinds import DEFAULT_BATCH_KIND
from ..errors import ConfigError, SiamkitWarning, TrainingError
from .checkpoint import check_safe, epoch_seed
from .steps import batch_size, check_combination, input_kind_of


def batch_kind_of(loader: Any) -> str | None:
    kind = getattr(loader, "batch_kind", None)
    if kind is None:
        kind = getattr(getattr(loader, "dataset", None), "batch_kind", None)
    return kind


def checked_batch_kind(
    loader: Any, given: str | None, loss: Any, model: Any, where: str
) -> str:
    """The batch kind of ``loader``: its own, else ``given``, else what the loss consumes; checked
    against the loss (a ConfigError naming ``where`` when they do not fit)."""
    kind = batch_kind_of(loader) or given or DEFAULT_BATCH_KIND[input_kind_of(loss)]
    check_combination(loss, kind, model, where)
    return kind


def warn_if_sharded(val_loader: Any) -> None:
    if val_loader is not None and (sharded_world_size(val_loader) or 1) > 1:
        warnings.warn(
            "val_loader is sharded over processes, but validation runs on rank 0 "
            "alone and would see only its share; build it with world_size=1",
            SiamkitWarning,
            stacklevel=4,
        )


def skip_batches(batches: Iterator[Any], count: int, epoch: int) -> Iterator[Any]:
    """``batches`` after its first ``count``: a mid-epoch resume skips what it trained on."""
    for done in range(count):
        if next(batches, None) is None:
            raise TrainingError(
                f"resume: train_loader has {done} batches in epoch {epoch + 1}, but the "
                f"checkpoint had trained on {count}; was the data changed?"
            )
    return batches


class SplitBatches:
    """Every batch of ``loader`` cut into ``world_size`` row blocks; rank r keeps block r.

    Blocks follow ``torch.tensor_split`` (sizes differ by at most one). A batch with fewer rows than
    ranks is skipped by every rank alike, counted in ``skipped`` and warned about once.
    """

    def __init__(self, loader: Iterable, rank: int, world_size: int) -> None:
        self.loader, self.rank, self.world_size = loader, rank, world_size
        self.batch_kind = batch_kind_of(loader)
        self.skipped = 0

    def __len__(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    def set_epoch(self, epoch: int) -> None:
        start_epoch(self.loader, epoch, seed=None)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for batch in self.loader:
            n = batch_size(batch)
            if n < self.world_size:
                self.skipped += 1
                if self.skipped == 1:
                    warnings.warn(
                        f"a batch of {n} rows cannot be split over {self.world_size} processes; "
                        "such batches are skipped (counted in .skipped)",
                        SiamkitWarning,
                        stacklevel=2,
                    )
                continue
            yield tuple(self._block(x) for x in batch)

    def _block(self, x: Any) -> Any:
        if isinstance(x, Tensor):
            return x.tensor_split(self.world_size)[self.rank]
        bounds = np.array_split(np.arange(len(x)), self.world_size)[self.rank]
        return x[bounds[0] : bounds[-1] + 1] if len(bounds) else x[:0]


def shard(loader: Iterable, rank: int, world_size: int, seed: int) -> Iterable:
    """``loader`` restricted to this rank's share (see the module docstring)."""
    if world_size <= 1:
        return loader
    own = sharded_world_size(loader)
    if own is not None and own > 1:
        if own != world_size:
            raise ConfigError(
                f"train_loader: it is sharded for {own} processes, but {world_size} are training"
            )
        return loader
    if callable(getattr(loader, "shard", None)):
        return loader.shard(rank, world_size)
    if (
        isinstance(loader, DataLoader)
        and not isinstance(loader.dataset, IterableDataset)
        and loader.batch_size is not None
        and type(loader.sampler) in (RandomSampler, SequentialSampler)
    ):
        sampler = DistributedSampler(
            loader.dataset,
            num_replicas=world_size,
            rank=rank,
            seed=seed,
            shuffle=isinstance(loader.sampler, RandomSampler),
            drop_last=loader.drop_last,
        )
        sharded = DataLoader(
            loader.dataset,
            batch_size=loader.batch_size,
            sampler=sampler,
            num_workers=loader.num_workers,
            collate_fn=loader.collate_fn,
            pin_memory=loader.pin_memory,
            drop_last=loader.drop_last,
            timeout=loader.timeout,
            worker_init_fn=loader.worker_init_fn,
            multiprocessing_context=loader.multiprocessing_context,
            persistent_workers=loader.persistent_workers,
            prefetch_factor=loader.prefetch_factor if loader.num_workers > 0 else None,
        )
        kind = batch_kind_of(loader)
        if kind is not None:
            sharded.batch_kind = kind  # type: ignore[attr-defined]
        return sharded
    return SplitBatches(loader, rank, world_size)


def sharded_world_size(loader: Any) -> int | None:
    """The number of processes ``loader`` already shards its batches for, if it says: a
    ``world_size`` attribute on it or its sampler (siamkit loaders), or a ``DistributedSampler``."""
    if isinstance(loader, DataLoader) and isinstance(loader.sampler, DistributedSampler):
        return int(loader.sampler.num_replicas)
    for obj in (loader, getattr(loader, "sampler", None), getattr(loader, "batch_sampler", None)):
        size = getattr(obj, "world_size", None)
        if isinstance(size, int):
            return size
    return None


def start_epoch(loader: Any, epoch: int, seed: int | None) -> None:
    """Tell the loader (and a DataLoader's samplers) which epoch begins; reseed its own generator."""
    if isinstance(loader, SplitBatches):
        loader = loader.loader
    targets = [loader]
    if isinstance(loader, DataLoader):
        batch_sampler = loader.batch_sampler
        targets += [loader.sampler, batch_sampler, getattr(batch_sampler, "sampler", None)]
        if loader.generator is not None and seed is not None:
            loader.generator.manual_seed(epoch_seed(seed, epoch))
    seen: set[int] = set()
    for obj in targets:
        if obj is not None and id(obj) not in seen and callable(getattr(obj, "set_epoch", None)):
            seen.add(id(obj))
            obj.set_epoch(epoch)


def loader_state(loader: Any) -> Any:
    """The loader's own ``state_dict()`` (e.g. a sampler's seed), or None."""
    fn = getattr(loader, "state_dict", None)
    state = fn() if callable(fn) and not isinstance(loader, torch.nn.Module) else None
    check_safe(state, "loader state")
    return state


def load_loader_state(loader: Any, state: Any) -> None:
    fn = getattr(loader, "load_state_dict", None)
    if state is not None and callable(fn):
        fn(state)
