"""Verification pairs: labels 1 = same; balanced from classes, negatives from other groups."""

from __future__ import annotations

import pytest
import torch

from siamkit.data import LabelledData, PairData
from siamkit.errors import DataError
from siamkit.experiment import verification_pairs


def _labelled(labels: list[int]) -> LabelledData:
    y = torch.tensor(labels)
    x = torch.stack([y.float(), torch.arange(len(y)).float()], dim=1)  # column 0 carries the label
    return LabelledData(x, y)


def test_balanced_pairs_from_classes():
    data = _labelled([0, 0, 0, 1, 1, 2, 2, 2, 3])  # class 3 has one sample: never an anchor
    pairs = verification_pairs(data, seed=0)
    assert len(pairs) == 16 and pairs.y.sum() == 8
    same_class = pairs.x1[:, 0] == pairs.x2[:, 0]
    assert torch.equal(same_class.float(), pairs.y)      # label 1 exactly when the classes agree
    assert not torch.any((pairs.y == 1) & (pairs.x1[:, 1] == pairs.x2[:, 1]))  # never itself
    assert "1 samples of single-sample classes" in pairs.note
    again = verification_pairs(data, seed=0)
    assert torch.equal(again.x2, pairs.x2)


def test_duplicates_get_negatives_from_other_groups():
    x1 = [f"a{i}" for i in range(20)]
    x2 = [f"b{i}" for i in range(20)]
    groups = torch.arange(20) // 2   # rows 2k and 2k+1 are one group
    pairs = verification_pairs(PairData(x1, x2, torch.ones(20), groups=groups), seed=3)
    assert pairs.y[:20].eq(1).all() and pairs.y[20:].eq(0).all() and len(pairs) == 40
    row_of = {t: i for i, t in enumerate(x1)} | {t: i for i, t in enumerate(x2)}
    for a, b in zip(pairs.x1[20:], pairs.x2[20:]):
        assert groups[row_of[a]] != groups[row_of[b]]


def test_explicit_pairs_and_refusals():
    given = PairData(["a", "b", "c"], ["d", "e", "f"], torch.tensor([1.0, 0.0, 1.0]))
    pairs = verification_pairs(given)
    assert pairs.x1 == ["a", "b", "c"] and pairs.y.tolist() == [1, 0, 1]
    with pytest.raises(DataError, match="similarity scores, not 1/0"):
        verification_pairs(PairData(["a", "b"], ["c", "d"], torch.tensor([0.5, 0.2])))
    with pytest.raises(DataError, match="no pair is labelled 1"):
        verification_pairs(PairData(["a", "b"], ["c", "d"], torch.zeros(2)))
    with pytest.raises(DataError, match="one class"):
        verification_pairs(_labelled([0, 0, 0]), what="test data")
