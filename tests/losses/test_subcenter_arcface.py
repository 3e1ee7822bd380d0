"""SubCenterArcFaceLoss: pytorch-metric-learning's SubCenterArcFaceLoss (value, embedding and
sub-center gradients; PML's [D, C * K] columns are our rows), a hand-worked example, a step."""

from __future__ import annotations

import math

import pytest
import torch
from pytorch_metric_learning import losses as pml_losses
from weight_helpers import BATCHES, CLASSES, DIM, assert_matches_pml, batch, \
    sgd_step_moves_towards_class

from siamkit.losses import ArcFaceLoss, SubCenterArcFaceLoss


@pytest.mark.parametrize("size", BATCHES)
@pytest.mark.parametrize("sub_centers", [1, 3])
def test_matches_pml(size, sub_centers, dtype):
    emb, labels = batch(size, dtype, seed=size + 2)
    theirs = pml_losses.SubCenterArcFaceLoss(num_classes=CLASSES, embedding_size=DIM,
                                             margin=math.degrees(0.5), scale=64,
                                             sub_centers=sub_centers)
    ours = SubCenterArcFaceLoss(CLASSES, DIM, sub_centers=sub_centers)
    assert ours.weight.shape == (CLASSES * sub_centers, DIM)
    assert_matches_pml(ours, theirs, "W", emb, labels, dtype)


def test_hand_worked_example_the_closest_sub_center_counts():
    loss = SubCenterArcFaceLoss(2, 2, sub_centers=2, margin=0.5, scale=1.0).double()
    # class 0: (1, 0) and (0, 1); class 1: (-1, 0) and (0, -1)
    loss.weight.data = torch.tensor([[1.0, 0], [0, 1], [-1, 0], [0, -1]], dtype=torch.float64)
    x = torch.tensor([[0.6, 0.8]], dtype=torch.float64)
    # class 0's cosine is max(0.6, 0.8) = 0.8, class 1's max(-0.6, -0.8) = -0.6
    target = math.cos(math.acos(0.8) + 0.5)
    expected = math.log(math.exp(target) + math.exp(-0.6)) - target
    assert loss(x, torch.tensor([0])).item() == pytest.approx(expected, abs=1e-12)


def test_one_sub_center_is_arcface():
    emb, labels = batch(10, torch.float64, seed=3)
    one = SubCenterArcFaceLoss(CLASSES, DIM, sub_centers=1).double()
    arc = ArcFaceLoss(CLASSES, DIM).double()
    arc.weight.data = one.weight.data.clone()
    torch.testing.assert_close(one(emb, labels), arc(emb, labels))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_step_lowers_the_loss_and_moves_embeddings_to_their_class(seed):
    emb, labels = batch(12, torch.float64, seed)
    loss = SubCenterArcFaceLoss(CLASSES, DIM, scale=8.0).double()
    sgd_step_moves_towards_class(loss, emb, labels)
