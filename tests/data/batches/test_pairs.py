"""Balanced pairs (the classic MNIST recipe): one positive and one negative per anchor."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from siamkit.data import LabelledData, balanced_pair_indices, load_digits, make_pairs
from siamkit.errors import DataError


def test_every_anchor_gets_one_positive_and_one_negative():
    y = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3])
    i1, i2, lab = balanced_pair_indices(y, seed=0)
    assert i1.tolist() == np.repeat(np.arange(len(y)), 2).tolist()
    assert lab.tolist() == [1.0, 0.0] * len(y) and lab.dtype == torch.float32
    same = y[i1] == y[i2]
    assert torch.equal(same, lab.bool())             # label 1 exactly when the classes match
    assert bool((i1[lab == 1] != i2[lab == 1]).all())  # a positive is never the anchor itself


def test_seeded():
    y = torch.arange(40) % 4
    a = balanced_pair_indices(y, seed=5)
    assert all(torch.equal(u, v) for u, v in zip(a, balanced_pair_indices(y, seed=5)))
    assert not torch.equal(a[1], balanced_pair_indices(y, seed=6)[1])
    gen = np.random.default_rng(5)
    assert all(torch.equal(u, v) for u, v in zip(a, balanced_pair_indices(y, seed=gen)))


def test_negative_classes_and_partners_are_spread():
    # 3 classes: an anchor's negative class should be each other class about half the time
    y = torch.tensor([0] * 200 + [1] * 200 + [2] * 200)
    i1, i2, lab = balanced_pair_indices(y, seed=1)
    neg_classes = y[i2[lab == 0]][:200]  # negatives of the class-0 anchors
    counts = torch.bincount(neg_classes, minlength=3).tolist()
    assert counts[0] == 0 and 70 < counts[1] < 130 and 70 < counts[2] < 130
    assert len(set(i2[lab == 1].tolist())) > 300  # positives are not always the same few samples


def test_anchor_subset():
    y = torch.tensor([0, 0, 1, 1])
    i1, _, _ = balanced_pair_indices(y, seed=0, anchors=[3, 0])
    assert i1.tolist() == [3, 3, 0, 0]


def test_single_class_and_lonely_sample():
    with pytest.raises(DataError, match="only one class.*no negative"):
        balanced_pair_indices(torch.zeros(5, dtype=torch.long))
    data = LabelledData(torch.zeros(5, 2), [0, 0, 1, 1, 2], ["cat", "dog", "eel"], name="pets")
    with pytest.raises(DataError, match="pets: class 'eel' has a single sample \\(index 4\\)"):
        make_pairs(data)


def test_make_pairs_materialises_the_samples():
    data = load_digits("all").subset(range(100))
    pairs = make_pairs(data, seed=3)
    i1, i2, y = balanced_pair_indices(data.y, seed=3)
    assert torch.equal(pairs.x1, data.x[i1]) and torch.equal(pairs.x2, data.x[i2])
    assert torch.equal(pairs.y, y) and len(pairs) == 200
