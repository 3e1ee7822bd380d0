"""ContrastiveLoss: hand-worked values, a plain-loop reference, label convention, input checks."""

from __future__ import annotations

import math

import pytest
import torch
from loss_helpers import BATCHES, assert_same, value_and_grad

from siamkit.errors import ConfigError, DataError
from siamkit.losses import ContrastiveLoss


def loop_reference(d, y, margin):
    total = 0.0
    for di, yi in zip(d.tolist(), y.tolist()):
        total += yi * di**2 / 2 + (1 - yi) * max(0.0, margin - di) ** 2 / 2
    return torch.tensor(total / len(d), dtype=torch.float64)


def test_hand_worked_example():
    # y=1, d=0.5 -> 0.25/2 = 0.125; y=0, d=0.3 -> 0.7^2/2 = 0.245; y=0, d=1.5 -> beyond margin: 0.
    d = torch.tensor([0.5, 0.3, 1.5])
    y = torch.tensor([1.0, 0.0, 0.0])
    assert ContrastiveLoss(margin=1.0)(d, y).item() == pytest.approx((0.125 + 0.245) / 3)


@pytest.mark.parametrize("batch", BATCHES)
def test_matches_loop_reference(batch, dtype):
    gen = torch.Generator().manual_seed(batch)
    d = torch.rand(batch, generator=gen, dtype=dtype) * 2
    y = torch.randint(0, 2, (batch,), generator=gen).to(dtype)
    ours = value_and_grad(lambda d: ContrastiveLoss(1.3)(d, y), d)
    # Gradient of the reference by hand: y*d - (1-y)*max(0, m-d), over B.
    grad = (y * d - (1 - y) * (1.3 - d).clamp_min(0)) / batch
    theirs = (loop_reference(d, y, 1.3), [grad])
    assert_same(ours, theirs, dtype)


def test_label_one_pulls_together():
    # Fails if the convention were Hadsell's Y=0 for similar pairs: a same pair must be pulled in.
    d = torch.tensor([0.4], requires_grad=True)
    ContrastiveLoss(margin=1.0)(d, torch.tensor([1.0])).backward()
    assert d.grad.item() > 0  # gradient descent then lowers d
    d = torch.tensor([0.4], requires_grad=True)
    ContrastiveLoss(margin=1.0)(d, torch.tensor([0.0])).backward()
    assert d.grad.item() < 0  # a different pair inside the margin is pushed out


def test_zero_distance_is_finite():
    d = torch.zeros(3, requires_grad=True)
    loss = ContrastiveLoss()(d, torch.tensor([1, 0, 1]))
    loss.backward()
    assert math.isfinite(loss.item()) and torch.isfinite(d.grad).all()
    assert loss.item() == pytest.approx(0.5 / 3)


def test_bad_inputs_are_named():
    loss = ContrastiveLoss()
    with pytest.raises(DataError, match="y: expected shape"):
        loss(torch.ones(3), torch.ones(4))
    with pytest.raises(DataError, match="y: labels must lie in"):
        loss(torch.ones(2), torch.tensor([1.0, 2.0]))
    with pytest.raises(DataError, match="d: expected shape"):
        loss(torch.ones(2, 2), torch.ones(2))
    with pytest.raises(DataError, match="empty"):
        loss(torch.ones(0), torch.ones(0))
    with pytest.raises(ConfigError, match="margin"):
        ContrastiveLoss(margin=0)
