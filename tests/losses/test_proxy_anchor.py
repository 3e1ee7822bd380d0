"""ProxyAnchorLoss: pytorch-metric-learning's ProxyAnchorLoss (value, embedding and proxy
gradients), a hand-worked example, and the direction of a step."""

from __future__ import annotations

import math

import pytest
import torch
from pytorch_metric_learning import losses as pml_losses
from weight_helpers import BATCHES, CLASSES, DIM, assert_matches_pml, batch, \
    sgd_step_moves_towards_class

from siamkit.losses import ProxyAnchorLoss


@pytest.mark.parametrize("size", BATCHES)
@pytest.mark.parametrize("margin, alpha", [(0.1, 32.0), (0.3, 4.0)])
def test_matches_pml(size, margin, alpha, dtype):
    emb, labels = batch(size, dtype, seed=size + 3)
    theirs = pml_losses.ProxyAnchorLoss(CLASSES, DIM, margin=margin, alpha=alpha)
    assert_matches_pml(ProxyAnchorLoss(CLASSES, DIM, margin=margin, alpha=alpha), theirs,
                       "proxies", emb, labels, dtype)


def test_matches_pml_with_many_classes_absent_and_one_class_only(dtype):
    emb, _ = batch(6, dtype, seed=9, classes=40)
    for labels in (torch.tensor([3, 3, 7, 7, 7, 39]), torch.full((6,), 5)):
        theirs = pml_losses.ProxyAnchorLoss(40, DIM)
        assert_matches_pml(ProxyAnchorLoss(40, DIM), theirs, "proxies", emb, labels, dtype)


def test_hand_worked_example():
    loss = ProxyAnchorLoss(2, 2, margin=0.1, alpha=1.0).double()
    loss.weight.data = torch.eye(2, dtype=torch.float64)
    x = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    # each proxy has one positive at cosine 1 and one negative at cosine 0
    pos = math.log(1 + math.exp(-1.0 * (1 - 0.1)))
    neg = math.log(1 + math.exp(1.0 * (0 + 0.1)))
    assert loss(x, torch.tensor([0, 1])).item() == pytest.approx(pos + neg, abs=1e-12)


def test_the_paper_trains_proxies_faster_and_inits_them_kaiming():
    loss = ProxyAnchorLoss(100, 64)
    assert loss.lr_multiplier == 100.0
    assert loss.weight.std().item() == pytest.approx(math.sqrt(2 / 100), rel=0.1)  # fan_out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_step_lowers_the_loss_and_moves_embeddings_to_their_class(seed):
    emb, labels = batch(12, torch.float64, seed)
    # an easy sample's own pull is weighted down and can lose to its hard negatives' push, so
    # the embeddings move towards their classes on average (the loss's soft weighting)
    loss = ProxyAnchorLoss(CLASSES, DIM, alpha=8.0).double()
    sgd_step_moves_towards_class(loss, emb, labels, every=False)
