"""Loaders: sharding over ranks, the per-epoch calls, the batch kind."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, DistributedSampler

from siamkit.errors import ConfigError, SiamkitWarning
from siamkit.training.loaders import SplitBatches, batch_kind_of, shard, start_epoch
from training_helpers import PairDataset, batches


def test_split_batches_give_each_rank_its_block_and_together_the_batch():
    data = batches("labelled", 2, p=3, k=3)  # 9 rows: blocks of 5 and 4
    parts = [list(SplitBatches(data, rank, 2)) for rank in range(2)]
    for i, (x, labels) in enumerate(data):
        assert [len(p[i][0]) for p in parts] == [5, 4]
        assert torch.equal(torch.cat([p[i][0] for p in parts]), x)
        assert torch.equal(torch.cat([p[i][1] for p in parts]), labels)


def test_split_batches_split_raw_lists_and_skip_batches_smaller_than_the_world():
    data = [(["a", "b", "c"], ["A", "B", "C"]), (["z"], ["Z"])]
    split = SplitBatches(data, 1, 2)
    with pytest.warns(SiamkitWarning, match="skipped"):
        got = list(split)
    assert got == [(["c"], ["C"])] and split.skipped == 1


def test_a_dataloader_is_sharded_with_a_distributed_sampler():
    loader = DataLoader(PairDataset(10), batch_size=4, shuffle=True)
    sharded = shard(loader, rank=1, world_size=2, seed=7)
    assert isinstance(sharded.sampler, DistributedSampler) and sharded.sampler.shuffle
    assert sharded.sampler.rank == 1 and sharded.sampler.seed == 7 and sharded.batch_size == 4
    assert batch_kind_of(sharded) == "pairs"
    both = [set(shard(loader, r, 2, 7).sampler) for r in range(2)]
    assert not both[0] & both[1] and both[0] | both[1] == set(range(10))
    assert shard(loader, 0, 1, 7) is loader


def test_a_loader_that_shards_itself_is_asked_to():
    class Own(list):
        def shard(self, rank, world_size):
            return ("mine", rank, world_size)

    assert shard(Own(), 1, 4, 0) == ("mine", 1, 4)


def test_start_epoch_tells_the_loader_and_its_samplers_and_reseeds_its_generator():
    calls = []

    class Sampler(torch.utils.data.Sampler):
        def __init__(self):
            self.n = 6

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

        def set_epoch(self, epoch):
            calls.append(epoch)

    g = torch.Generator()
    loader = DataLoader(PairDataset(6), batch_size=2, sampler=Sampler(), generator=g)
    start_epoch(loader, 3, seed=1)
    first = torch.rand(1, generator=g)
    start_epoch(loader, 3, seed=1)
    assert calls == [3, 3] and torch.equal(torch.rand(1, generator=g), first)


def test_a_loader_sharded_already_is_left_alone_and_a_wrong_world_is_an_error():
    class Sharded(list):
        world_size = 2

    own = Sharded(batches("pairs", 2))
    assert shard(own, 1, 2, 0) is own
    with pytest.raises(ConfigError, match="sharded for 2 processes, but 4"):
        shard(own, 1, 4, 0)
    unsharded = Sharded(batches("pairs", 2))
    unsharded.world_size = 1  # built before the process group: its rows are split instead
    assert isinstance(shard(unsharded, 0, 2, 0), SplitBatches)
