"""CosFaceLoss: pytorch-metric-learning's CosFaceLoss (value, embedding and class-weight
gradients), a hand-worked example, and the direction of a step."""

from __future__ import annotations

import math

import pytest
import torch
from pytorch_metric_learning import losses as pml_losses
from weight_helpers import BATCHES, CLASSES, DIM, assert_matches_pml, batch, \
    sgd_step_moves_towards_class

from siamkit.losses import CosFaceLoss
from siamkit.registry import LOSSES


@pytest.mark.parametrize("size", BATCHES)
@pytest.mark.parametrize("margin, scale", [(0.35, 64.0), (0.1, 5.0)])
def test_matches_pml(size, margin, scale, dtype):
    emb, labels = batch(size, dtype, seed=size + 1)
    theirs = pml_losses.CosFaceLoss(CLASSES, DIM, margin=margin, scale=scale)
    assert_matches_pml(CosFaceLoss(CLASSES, DIM, margin=margin, scale=scale), theirs, "W",
                       emb, labels, dtype)


def test_hand_worked_example():
    loss = CosFaceLoss(2, 2, margin=0.5, scale=2.0).double()
    loss.weight.data = torch.tensor([[3.0, 0.0], [0.0, 0.5]], dtype=torch.float64)  # any length
    x = torch.tensor([[2.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    # sample 0: cos 1 to its class 0, 0 to class 1 -> logits 2 (1 - 0.5) = 1 and 0
    # sample 1 (class 1): cos 1/sqrt(2) to both -> logits 2 (c - 0.5) and 2 c
    c = 1 / math.sqrt(2)
    first = math.log(math.exp(1.0) + 1.0) - 1.0
    second = math.log(math.exp(2 * c) + math.exp(2 * (c - 0.5))) - 2 * (c - 0.5)
    value = loss(x, torch.tensor([0, 1])).item()
    assert value == pytest.approx((first + second) / 2, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_step_lowers_the_loss_and_moves_embeddings_to_their_class(seed):
    emb, labels = batch(12, torch.float64, seed)
    sgd_step_moves_towards_class(CosFaceLoss(CLASSES, DIM, scale=8.0).double(), emb, labels)


def test_registered_with_its_alias():
    assert LOSSES.get("cosface") is CosFaceLoss is LOSSES.get("large_margin_cosine")
