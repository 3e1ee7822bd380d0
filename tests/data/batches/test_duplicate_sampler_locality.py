"""DuplicateBatchSampler's locality option: a share of batches from neighbouring localities."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from siamkit.data import DuplicateBatchSampler, PairData, make_loader
from siamkit.errors import ConfigError, DataError, SiamkitWarning


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 3), min_size=3, max_size=60), batch=st.integers(2, 9),
       n_loc=st.integers(1, 8), share=st.sampled_from([0.25, 0.5, 1.0]), seed=st.integers(0, 5))
def test_no_group_twice_fixed_count_and_rows_once(sizes, batch, n_loc, share, seed):
    groups = np.repeat(np.arange(len(sizes)), sizes)
    rng = np.random.default_rng(seed)
    localities = rng.integers(0, n_loc, len(groups))  # groups repeat inside localities too
    n = len(groups)
    with warnings.catch_warnings(record=True) as caught:  # many drawn cases leave rows out
        warnings.simplefilter("always")
        sampler = DuplicateBatchSampler(groups, batch, seed=seed, localities=localities,
                                        local_share=share)
    said = [w for w in caught if issubclass(w.category, SiamkitWarning)]
    assert len(said) == (1 if sampler.left_out else 0)  # said exactly when rows are left out
    batches = list(sampler)
    assert len(batches) == len(sampler) == -(-n // batch)
    for b in batches:
        assert len(np.unique(groups[b])) == len(b) <= batch
    rows = np.concatenate(batches)
    assert len(np.unique(rows)) == len(rows)  # no row twice
    assert n - len(rows) <= sampler.left_out  # left_out is the per-epoch bound


def test_local_batches_come_from_neighbouring_localities():
    # 100 localities of 10 rows, all rows their own group; batch 10 -> 100 batches, 50 local.
    localities = np.repeat(np.arange(100), 10)
    sampler = DuplicateBatchSampler(np.arange(1000), 10, seed=4, localities=localities,
                                    local_share=0.5)
    spans = []
    for b in sampler:
        loc = np.unique(localities[b])
        wrapped = (loc + 50) % 100  # a run across the end (99 -> 0) is neighbouring too
        spans.append(min(np.ptp(loc), np.ptp(wrapped)))
    assert sum(s <= 1 for s in spans) >= 50
    plain = DuplicateBatchSampler(np.arange(1000), 10, seed=4)
    assert sum(np.ptp(localities[b]) <= 1 for b in plain) < 5  # random batches span widely


def test_seeded_and_default_unchanged():
    groups, localities = np.arange(60) // 2, np.arange(60) // 6
    a = [b.tolist() for b in DuplicateBatchSampler(groups, 8, seed=2, localities=localities,
                                                    local_share=0.5)]
    b = [b.tolist() for b in DuplicateBatchSampler(groups, 8, seed=2, localities=localities,
                                                    local_share=0.5)]
    assert a == b
    off = [b.tolist() for b in DuplicateBatchSampler(groups, 8, seed=2, localities=localities)]
    assert off == [b.tolist() for b in DuplicateBatchSampler(groups, 8, seed=2)]


def test_bad_locality_arguments():
    with pytest.raises(ConfigError, match="local_share=0.5 needs localities"):
        DuplicateBatchSampler(np.arange(10), 2, local_share=0.5)
    with pytest.raises(ConfigError, match="local_share must be in"):
        DuplicateBatchSampler(np.arange(10), 2, localities=np.zeros(10), local_share=1.5)
    with pytest.raises(DataError, match="localities has shape"):
        DuplicateBatchSampler(np.arange(10), 2, localities=np.zeros(9), local_share=0.5)


def test_duplicates_loader_passes_localities():
    data = PairData(torch.randn(12, 4), torch.randn(12, 4), torch.ones(12))
    loader = make_loader("duplicates", data, 3, seed=0, localities=np.arange(12) // 3,
                         local_share=0.5)
    assert loader.sampler.n_local == 2
    assert sum(len(x1) for x1, _ in loader) == 12
    with pytest.raises(DataError, match="localities has 5 values for 12 rows"):
        make_loader("duplicates", data, 3, localities=np.arange(5), local_share=0.5)
