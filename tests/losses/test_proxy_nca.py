"""ProxyNCALoss: pytorch-metric-learning's ProxyNCALoss (value, embedding and proxy gradients),
a hand-worked example, and the direction of a step."""

from __future__ import annotations

import math

import pytest
import torch
from pytorch_metric_learning import losses as pml_losses
from weight_helpers import BATCHES, CLASSES, DIM, assert_matches_pml, batch, \
    sgd_step_moves_towards_class

from siamkit.losses import ProxyNCALoss


@pytest.mark.parametrize("size", BATCHES)
@pytest.mark.parametrize("scale", [1.0, 9.0])
def test_matches_pml(size, scale, dtype):
    emb, labels = batch(size, dtype, seed=size + 4)
    theirs = pml_losses.ProxyNCALoss(CLASSES, DIM, softmax_scale=scale)
    assert_matches_pml(ProxyNCALoss(CLASSES, DIM, scale=scale), theirs, "proxies", emb, labels,
                       dtype)


def test_hand_worked_example():
    loss = ProxyNCALoss(2, 2, scale=1.0).double()
    loss.weight.data = torch.tensor([[5.0, 0.0], [0.0, 0.1]], dtype=torch.float64)
    x = torch.tensor([[3.0, 0.0]], dtype=torch.float64)
    # normalised: squared distances 0 to its proxy and 2 to the other
    expected = -math.log(math.exp(0.0) / (math.exp(0.0) + math.exp(-2.0)))
    assert loss(x, torch.tensor([0])).item() == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_step_lowers_the_loss_and_moves_embeddings_to_their_class(seed):
    emb, labels = batch(12, torch.float64, seed)
    sgd_step_moves_towards_class(ProxyNCALoss(CLASSES, DIM, scale=4.0).double(), emb, labels)
