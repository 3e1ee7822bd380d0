"""Duplicate-pair batches: no duplicate group twice in a batch, each row once an epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from siamkit.data import DuplicateBatchSampler
from siamkit.errors import SiamkitWarning


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 4), min_size=3, max_size=60), batch=st.integers(2, 9),
       seed=st.integers(0, 5))
def test_no_group_twice_and_full_coverage(sizes, batch, seed):
    groups = torch.tensor(np.repeat(np.arange(len(sizes)), sizes))
    n = len(groups)
    n_batches = -(-n // batch)
    if max(sizes) > n_batches:
        return  # covered by test_oversized_group
    sampler = DuplicateBatchSampler(groups, batch, seed=seed)
    batches = list(sampler)
    assert len(batches) == len(sampler) == n_batches
    for b in batches:
        assert len(torch.unique(groups[b])) == len(b) <= batch
    sizes_seen = [len(b) for b in batches]
    assert max(sizes_seen) - min(sizes_seen) <= 1
    assert sorted(torch.cat(batches).tolist()) == list(range(n))


def test_oversized_group_is_reported_and_trimmed():
    groups = torch.tensor([0] * 5 + list(range(1, 6)))  # one group of 5, 2 batches of 5
    with pytest.warns(SiamkitWarning, match="3 of 10 rows are left out"):
        sampler = DuplicateBatchSampler(groups, 5, seed=0)
    batches = list(sampler)
    assert sum(len(b) for b in batches) == 7
    for b in batches:
        assert len(torch.unique(groups[b])) == len(b)


def test_epochs_differ_and_resume_and_shard():
    groups = torch.arange(40) // 2
    s = DuplicateBatchSampler(groups, 8, seed=3)
    e0 = [b.tolist() for b in s]
    s.set_epoch(1)
    e1 = [b.tolist() for b in s]
    assert e0 != e1
    r = DuplicateBatchSampler(groups, 8, seed=3)
    r.set_epoch(1)
    assert [b.tolist() for b in r] == e1
    shards = [[b.tolist() for b in DuplicateBatchSampler(groups, 8, seed=3, rank=k, world_size=2)]
              for k in range(2)]
    assert [len(x) for x in shards] == [3, 3]  # 5 batches padded to 6
    covered = {i for sh in shards for b in sh for i in b}
    assert covered == set(range(40))
