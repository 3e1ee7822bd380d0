"""The bundled digits: scaling against scikit-learn's arrays, deterministic stratified splits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits as sk_digits

from siamkit.data import check_no_leakage, load_dataset, load_digits
from siamkit.errors import ConfigError


def test_all_matches_sklearn_scaled():
    data = load_digits("all")
    ref = sk_digits()
    assert data.x.shape == (1797, 1, 8, 8) and data.x.dtype == torch.uint8
    np.testing.assert_array_equal(data.x[:, 0].numpy(), np.rint(ref.images * 255 / 16))
    np.testing.assert_array_equal(data.y.numpy(), ref.target)
    assert data.classes == [str(d) for d in range(10)]
    assert int(data.x.max()) == 255


def test_splits_partition_the_data_and_are_stratified():
    parts = [load_dataset("digits", s, seed=7) for s in ("train", "val", "test")]
    assert [len(p) for p in parts] == [1077, 360, 360]
    check_no_leakage(*parts)
    assert sorted(torch.cat([p.ids for p in parts]).tolist()) == list(range(1797))
    full = load_digits("all").class_counts().double()
    for part, share in zip(parts, (0.6, 0.2, 0.2)):
        assert torch.allclose(part.class_counts().double() / full, torch.full((10,), share,
                                                                             dtype=torch.float64),
                              atol=0.02)


def test_split_is_deterministic_for_a_seed():
    a, b = load_digits("val", seed=1), load_digits("val", seed=1)
    assert torch.equal(a.ids, b.ids) and torch.equal(a.x, b.x)
    assert not torch.equal(a.ids, load_digits("val", seed=2).ids)


def test_fractions_and_bad_split():
    assert len(load_digits("test", test_fraction=0.5, val_fraction=0.25)) == 899
    with pytest.raises(ConfigError, match="unknown split"):
        load_digits("dev")
    with pytest.raises(ConfigError, match="val_fraction \\+ test_fraction"):
        load_digits("train", val_fraction=0.6, test_fraction=0.5)
