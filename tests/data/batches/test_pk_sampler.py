"""P x K batches: exactly P classes x K samples, full coverage each epoch, seeded, shardable.
Checked as properties over many random label sets (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from siamkit.data import PKBatchSampler, RandomBatchSampler
from siamkit.errors import ConfigError, DataError

label_sets = st.lists(st.integers(2, 30), min_size=2, max_size=9).map(
    lambda sizes: torch.tensor(np.repeat(np.arange(len(sizes)), sizes)))


@settings(max_examples=60, deadline=None)
@given(labels=label_sets, p=st.integers(2, 4), k=st.integers(2, 5), seed=st.integers(0, 9))
def test_batches_are_p_by_k_and_cover_everything(labels, p, k, seed):
    n_classes = int(labels.max()) + 1
    if p > n_classes:
        p = n_classes
    sampler = PKBatchSampler(labels, p, k, seed=seed)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    for b in batches:
        assert len(b) == p * k
        classes, counts = torch.unique(labels[b], return_counts=True)
        assert len(classes) == p and bool((counts == k).all())
        for c in classes:  # at least two different samples of each class
            assert len(torch.unique(b[labels[b] == c])) >= 2
    assert set(torch.cat(batches).tolist()) == set(range(len(labels)))


def test_seeded_and_resumable():
    labels = torch.arange(100) % 7
    a = PKBatchSampler(labels, 3, 4, seed=1)
    epoch0 = [b.tolist() for b in a]
    a.set_epoch(1)
    epoch1 = [b.tolist() for b in a]
    assert epoch0 != epoch1
    b = PKBatchSampler(labels, 3, 4, seed=1)
    b.set_epoch(1)  # a resumed run sees epoch 1's batches without replaying epoch 0
    assert [x.tolist() for x in b] == epoch1
    fixed = PKBatchSampler(labels, 3, 4, seed=1, shuffle=False)
    first = [x.tolist() for x in fixed]
    fixed.set_epoch(5)
    assert [x.tolist() for x in fixed] == first


def test_sharding_splits_the_plan():
    labels = torch.arange(90) % 6
    whole = [b.tolist() for b in PKBatchSampler(labels, 2, 3, seed=0)]
    shards = [[b.tolist() for b in PKBatchSampler(labels, 2, 3, seed=0, rank=r, world_size=4)]
              for r in range(4)]
    assert len({len(s) for s in shards}) == 1  # every rank gets as many batches
    flat = [b for s in shards for b in s]
    assert all(b in whole for b in flat) and all(b in flat for b in whole)
    assert len(shards[0]) == len(PKBatchSampler(labels, 2, 3, rank=0, world_size=4))


def test_errors():
    with pytest.raises(ConfigError, match="k \\(per class\\): must be at least 2"):
        PKBatchSampler(torch.tensor([0, 0, 1, 1]), 2, 1)
    with pytest.raises(ConfigError, match="p=3 classes per batch, but labels has only 2"):
        PKBatchSampler(torch.tensor([0, 0, 1, 1]), 3, 2)
    with pytest.raises(DataError, match="class 'b' has a single sample"):
        PKBatchSampler(torch.tensor([0, 0, 1]), 2, 2, classes=["a", "b"])
    with pytest.raises(ConfigError, match="rank=2, world_size=2"):
        PKBatchSampler(torch.tensor([0, 0, 1, 1]), 2, 2, rank=2, world_size=2)


def test_random_batches():
    s = RandomBatchSampler(10, 4, seed=0)
    batches = list(s)
    assert [len(b) for b in batches] == [4, 4, 2] and len(s) == 3
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
    assert [len(b) for b in RandomBatchSampler(10, 4, drop_last=True)] == [4, 4]
    assert torch.cat(list(RandomBatchSampler(10, 4, shuffle=False))).tolist() == list(range(10))
