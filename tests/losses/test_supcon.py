"""SupConLoss: pytorch-metric-learning's SupConLoss (value and gradients), a hand-worked example,
degenerate batches, and the direction of a step."""

from __future__ import annotations

from contextlib import nullcontext

import math

import pytest
import torch
from loss_helpers import BATCHES, assert_same, labelled_batch, value_and_grad
from pytorch_metric_learning import losses as pml_losses

from siamkit.errors import ConfigError, SiamkitWarning
from siamkit.losses import SupConLoss


@pytest.mark.parametrize("size", BATCHES)
@pytest.mark.parametrize("temperature", [0.1, 0.5])
def test_matches_pml(size, temperature, dtype):
    emb, labels = labelled_batch(size, dtype, seed=size)
    if len(labels.unique()) < 2:
        labels[0] = labels[0] + 1  # a negative exists
    # at size 2 every class appears once: the loss is 0 and says so
    degenerate = int(labels.unique(return_counts=True)[1].max()) < 2
    with pytest.warns(SiamkitWarning, match="no anchor has both") if degenerate else nullcontext():
        ours = value_and_grad(lambda e: SupConLoss(temperature)(e, labels), emb)
    theirs = value_and_grad(lambda e: pml_losses.SupConLoss(temperature)(e, labels), emb)
    assert_same(ours, theirs, dtype)


def test_matches_pml_with_sparse_large_class_ids(dtype):
    emb, _ = labelled_batch(9, dtype, seed=4)
    labels = torch.tensor([70, 70, 3, 3, 3, 900, 12, 12, 5])  # some classes once
    ours = value_and_grad(lambda e: SupConLoss()(e, labels), emb)
    theirs = value_and_grad(lambda e: pml_losses.SupConLoss()(e, labels), emb)
    assert_same(ours, theirs, dtype)


def test_hand_worked_example():
    # a, b in class 0 at 90 degrees, c in class 1 opposite a; temperature 1
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 1])
    a = math.log(math.exp(0.0) + math.exp(-1.0)) - 0.0  # anchor a: positive b 0, negative c -1
    b = math.log(math.exp(0.0) + math.exp(0.0)) - 0.0   # anchor b: positive a 0, negative c 0
    # c has no positive: left out of the mean
    assert SupConLoss(1.0)(x, labels).item() == pytest.approx((a + b) / 2, abs=1e-12)


@pytest.mark.parametrize("labels", [[0, 1, 2, 3], [4, 4, 4, 4]], ids=["no-positive", "one-class"])
def test_degenerate_batches_give_a_connected_zero(labels):
    emb = torch.randn(4, 3, requires_grad=True)
    loss = SupConLoss()
    with pytest.warns(SiamkitWarning, match="no anchor"):
        value = loss(emb, torch.tensor(labels))
    value.backward()
    assert value.item() == 0 and loss.degenerate_batches == 1
    assert torch.equal(emb.grad, torch.zeros_like(emb))


def cosines(emb, labels):
    z = torch.nn.functional.normalize(emb, dim=1)
    s = z @ z.T
    same = labels[:, None] == labels[None, :]
    off = ~torch.eye(len(labels), dtype=torch.bool)
    return s[same & off].mean(), s[~same].mean()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_step_lowers_the_loss_and_moves_positives_together(seed):
    emb, _ = labelled_batch(12, torch.float64, seed)
    labels = torch.arange(12) % 3
    loss = SupConLoss(0.5)
    emb = emb.detach()
    e = emb.clone().requires_grad_()
    before = loss(e, labels)
    before.backward()
    moved = (e - 0.05 * e.grad).detach()
    assert loss(moved, labels) < before
    pos0, neg0 = cosines(emb, labels)
    pos1, neg1 = cosines(moved, labels)
    assert pos1 > pos0 and neg1 < neg0  # label 1 = same: pulled together


def test_temperature_must_be_positive():
    with pytest.raises(ConfigError, match="temperature"):
        SupConLoss(0.0)
