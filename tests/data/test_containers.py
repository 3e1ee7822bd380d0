"""LabelledData and PairData: validation with clear errors, subsets keep everything aligned."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from siamkit.data import LabelledData, PairData
from siamkit.errors import DataError


def _images(n=6):
    return torch.arange(n * 4, dtype=torch.uint8).reshape(n, 1, 2, 2)


def test_kinds_and_normalisation():
    assert LabelledData(_images(), [0, 1, 0, 1, 2, 2]).kind == "image"
    grey = LabelledData(np.zeros((3, 5, 5), np.uint8), [0, 1, 1])
    assert grey.x.shape == (3, 1, 5, 5)
    vec = LabelledData(np.ones((3, 4)), np.array([0.0, 1.0, 1.0]))
    assert vec.kind == "vector" and vec.x.dtype == torch.float32 and vec.y.dtype == torch.int64
    texts = LabelledData(["a", "b"], [1, 0], ["neg", "pos"])
    assert texts.kind == "text" and texts.n_classes == 2


@pytest.mark.parametrize("x, y, message", [
    (_images(6), [0, 1, 2], "x has 6 samples but y has 3 labels"),
    (_images(2), [0, -1], "label at index 1 is negative"),
    (_images(2), [0.5, 1.0], "whole class ids"),
    (np.ones((2, 3)) * np.nan, [0, 1], "row 0 holds NaN"),
    (["a", 3], [0, 1], "item 1 is a int"),
    (np.zeros(5), [0] * 5, "neither images"),
])
def test_bad_labelled_data(x, y, message):
    with pytest.raises(DataError, match=message):
        LabelledData(x, y, name="toy")


def test_label_beyond_class_names():
    with pytest.raises(DataError, match="label 2 at index 1 is out of range for 2 classes"):
        LabelledData(_images(2), [0, 2], ["a", "b"])


def test_class_indices_match_a_plain_loop():
    y = [2, 0, 2, 1, 0, 2]
    data = LabelledData(_images(), y)
    expected = [[i for i, v in enumerate(y) if v == c] for c in range(3)]
    assert [t.tolist() for t in data.class_indices()] == expected
    assert data.class_counts().tolist() == [2, 1, 3]


def test_subset_keeps_ids_keys_and_can_compact_classes():
    data = LabelledData(_images(), [2, 0, 2, 1, 0, 2], ["a", "b", "c"], keys=list("uvwxyz"))
    sub = data.subset([5, 3, 0])
    assert sub.ids.tolist() == [5, 3, 0] and sub.keys == ["z", "x", "u"]
    assert torch.equal(sub.x, data.x[[5, 3, 0]]) and sub.classes == ["a", "b", "c"]
    compact = data.subset(torch.tensor([True, False, True, True, False, False]),
                          compact_classes=True)
    assert compact.classes == ["b", "c"] and compact.y.tolist() == [1, 1, 0]
    with pytest.raises(DataError, match="index out of range"):
        data.subset([6])


def test_pair_data():
    pairs = PairData(["a", "b", "c"], ["x", "y", "z"], [1, 0, 1], groups=[0, 1, 0],
                     keys=list("pqr"))
    assert pairs.is_binary and pairs.kind == "text"
    sub = pairs.subset([2, 0])
    assert sub.x1 == ["c", "a"] and sub.groups.tolist() == [0, 0] and sub.ids.tolist() == [2, 0]
    assert not PairData(["a"], ["b"], [0.7]).is_binary


@pytest.mark.parametrize("x1, x2, y, message", [
    (["a", "b"], ["c"], [1, 1], "mismatched lengths"),
    (["a"], torch.zeros(1, 3), [1], "x1 holds texts but x2 holds vectors"),
    (["a"], ["b"], [float("nan")], "not a finite number"),
])
def test_bad_pair_data(x1, x2, y, message):
    with pytest.raises(DataError, match=message):
        PairData(x1, x2, y)
