"""siamkit.geometry: the in-batch selection rules that losses, miners and offline mining share."""

from __future__ import annotations

import pytest
import torch

from siamkit import geometry as g
from siamkit.errors import DataError


def test_masks_and_hardest():
    labels = torch.tensor([0, 0, 1, 1, 2])
    pos, neg = g.label_masks(labels)
    assert not pos.diagonal().any() and pos[0, 1] and neg[0, 2] and not neg[0, 1]
    D = torch.tensor([[0.0, 1, 2, 3, 4], [1, 0, 5, 1, 2], [2, 5, 0, 3, 1], [3, 1, 3, 0, 2],
                      [4, 2, 1, 2, 0]])
    assert g.hardest_positive(D, pos)[:4].tolist() == [1, 0, 3, 2]
    assert g.hardest_negative(D, neg).tolist() == [2, 3, 4, 1, 2]
    a, p, n = g.batch_hard(D, pos, neg)
    assert a.tolist() == [0, 1, 2, 3]  # sample 4 has no positive


@pytest.mark.parametrize("fallback, expected", [("farthest", 4), ("closest", 2)])
def test_semihard_negative_falls_back_as_asked(fallback, expected):
    D = torch.tensor([[0.0, 5.0, 1.0, 2.0, 3.0]])
    neg = torch.tensor([[False, False, True, True, True]])
    assert g.semihard_negative(D, torch.tensor([2.5]), neg, fallback).item() == 4  # 3 > 2.5
    assert g.semihard_negative(D, torch.tensor([9.0]), neg, fallback).item() == expected


def test_check_labelled_names_the_problem():
    emb = torch.randn(3, 2)
    assert g.check_labelled(emb, torch.tensor([[0], [1], [1]])).shape == (3,)
    with pytest.raises(DataError, match="labels: expected shape \\[3\\]"):
        g.check_labelled(emb, torch.tensor([0, 1]))
    with pytest.raises(DataError, match="whole numbers"):
        g.check_labelled(emb, torch.tensor([0.5, 1.0, 1.0]))
    with pytest.raises(DataError, match="embeddings: expected a float tensor"):
        g.check_labelled(torch.zeros(3, dtype=torch.long), torch.tensor([0, 1, 1]))
