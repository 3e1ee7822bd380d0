"""CosineSimilarityLoss: plain-loop reference, hand-worked value, target validation."""

from __future__ import annotations

import math

import pytest
import torch
from loss_helpers import BATCHES, assert_same, value_and_grad

from siamkit.errors import ConfigError, DataError
from siamkit.losses import CosineSimilarityLoss


def loop_reference(u, v, target):
    total = 0.0
    for i in range(u.shape[0]):
        cos = torch.dot(u[i], v[i]) / (
            torch.linalg.vector_norm(u[i]) * torch.linalg.vector_norm(v[i])
        )
        total = total + (cos - target[i]) ** 2
    return total / u.shape[0]


@pytest.mark.parametrize("batch", BATCHES)
def test_matches_loop(batch, dtype):
    gen = torch.Generator().manual_seed(batch)
    u, v = (
        torch.randn(batch, 5, generator=gen, dtype=dtype),
        torch.randn(batch, 5, generator=gen, dtype=dtype),
    )
    target = torch.rand(batch, generator=gen, dtype=dtype) * 2 - 1
    ours = value_and_grad(lambda a, b: CosineSimilarityLoss((-1, 1))(a, b, target), u, v)
    theirs = value_and_grad(lambda a, b: loop_reference(a, b, target), u, v)
    assert_same(ours, theirs, dtype)


def test_hand_worked_example():
    # cos = 0 (target 0) and 1/sqrt2 (target 1): ((1/sqrt2 - 1)^2) / 2.
    u = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    v = torch.tensor([[0.0, 1.0], [1.0, 1.0]])
    expected = (1 / math.sqrt(2) - 1) ** 2 / 2
    assert CosineSimilarityLoss()(u, v, torch.tensor([0.0, 1.0])).item() == pytest.approx(expected)


def test_targets_out_of_range_are_named():
    u = torch.ones(3, 2)
    with pytest.raises(
        DataError, match=r"target: value -0.5 at index 1 is outside target_range \[0, 1\]"
    ):
        CosineSimilarityLoss()(u, u, torch.tensor([0.5, -0.5, 1.0]))
    with pytest.raises(DataError, match="target"):
        CosineSimilarityLoss((-1, 1))(u, u, torch.tensor([0.5, float("nan"), 1.0]))
    with pytest.raises(DataError, match=r"target: expected shape \[3\]"):
        CosineSimilarityLoss()(u, u, torch.ones(2))
    with pytest.raises(ConfigError, match="target_range"):
        CosineSimilarityLoss((0, 5))
    CosineSimilarityLoss((-1, 1))(u, u, torch.tensor([-1.0, 0.0, 1.0]))  # the edges are allowed
