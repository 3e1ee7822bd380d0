"""BinaryCrossEntropyLoss: plain-math reference, hand-worked value, stability, label checks."""

from __future__ import annotations

import math

import pytest
import torch
from loss_helpers import BATCHES, assert_same, value_and_grad

from siamkit.errors import DataError
from siamkit.losses import BinaryCrossEntropyLoss


def loop_reference(logits, y):
    terms = [
        -(yi * torch.log(torch.sigmoid(z)) + (1 - yi) * torch.log(1 - torch.sigmoid(z)))
        for z, yi in zip(logits, y.tolist())
    ]
    return sum(terms) / len(terms)


@pytest.mark.parametrize("batch", BATCHES)
def test_matches_loop(batch, dtype):
    gen = torch.Generator().manual_seed(batch)
    logits = torch.randn(batch, generator=gen, dtype=dtype) * 3
    y = torch.randint(0, 2, (batch,), generator=gen)
    ours = value_and_grad(lambda z: BinaryCrossEntropyLoss()(z, y), logits)
    theirs = value_and_grad(lambda z: loop_reference(z, y), logits)
    assert_same(ours, theirs, dtype)


def test_hand_worked_example():
    # logit 0 with y=1: log 2; logit 2 with y=0: log(1 + e^2).
    value = BinaryCrossEntropyLoss()(torch.tensor([0.0, 2.0]), torch.tensor([1, 0]))
    assert value.item() == pytest.approx((math.log(2) + math.log(1 + math.e**2)) / 2)


def test_label_one_raises_the_logit():
    z = torch.zeros(1, requires_grad=True)
    BinaryCrossEntropyLoss()(z, torch.ones(1)).backward()
    assert z.grad.item() < 0  # descent raises the match logit of a same pair


def test_saturated_logits_stay_finite():
    z = torch.tensor([200.0, -200.0], requires_grad=True)
    value = BinaryCrossEntropyLoss()(z, torch.tensor([0.0, 1.0]))
    value.backward()
    assert value.item() == pytest.approx(200.0) and torch.isfinite(z.grad).all()


def test_bad_labels():
    with pytest.raises(DataError, match="y: labels must lie in"):
        BinaryCrossEntropyLoss()(torch.zeros(2), torch.tensor([0, 3]))
    with pytest.raises(DataError, match="logits: expected shape"):
        BinaryCrossEntropyLoss()(torch.zeros(2, 3), torch.zeros(2))
