"""LengthBucketBatchSampler: every example once per epoch, less padding, seeded plans."""

import numpy as np

from siamkit.data.batches.length_buckets import LengthBucketBatchSampler
from siamkit.data.batches.samplers import RandomBatchSampler


def _padding(sampler, lengths):
    return sum(int(lengths[b].max() * len(b) - lengths[b].sum())
               for b in (x.numpy() for x in sampler))


def test_every_example_once_and_less_padding():
    lengths = np.random.default_rng(0).integers(1, 64, size=1000)
    bucketed = LengthBucketBatchSampler(lengths, 32, seed=3, bucket_batches=8)
    plain = RandomBatchSampler(len(lengths), 32, seed=3)
    for epoch in range(2):
        bucketed.set_epoch(epoch)
        plain.set_epoch(epoch)
        seen = np.concatenate([b.numpy() for b in bucketed])
        assert sorted(seen.tolist()) == list(range(1000))
        assert len(list(bucketed)) == len(bucketed)
        assert _padding(bucketed, lengths) < 0.25 * _padding(plain, lengths)


def test_same_seed_same_plan_other_seed_other_plan():
    lengths = np.arange(200) % 17
    plans = []
    for seed in (1, 1, 2):
        s = LengthBucketBatchSampler(lengths, 10, seed=seed, bucket_batches=4)
        s.set_epoch(5)
        plans.append([b.tolist() for b in s])
    assert plans[0] == plans[1] and plans[0] != plans[2]


def test_drop_last_keeps_full_batches_only():
    s = LengthBucketBatchSampler(np.arange(105), 10, drop_last=True, bucket_batches=3)
    sizes = [len(b) for b in s]
    assert sizes == [10] * 10 and len(s) == 10
