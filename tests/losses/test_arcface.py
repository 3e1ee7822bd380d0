"""ArcFaceLoss: pytorch-metric-learning's ArcFaceLoss (value, embedding and class-weight
gradients), a hand-worked example of both margin branches, and the direction of a step."""

from __future__ import annotations

import math

import pytest
import torch
from pytorch_metric_learning import losses as pml_losses
from weight_helpers import BATCHES, CLASSES, DIM, assert_matches_pml, batch, \
    sgd_step_moves_towards_class

from siamkit.errors import ConfigError, DataError
from siamkit.losses import ArcFaceLoss
from siamkit.registry import LOSSES


@pytest.mark.parametrize("size", BATCHES)
@pytest.mark.parametrize("margin, scale", [(0.5, 64.0), (0.2, 10.0)])
def test_matches_pml(size, margin, scale, dtype):
    emb, labels = batch(size, dtype, seed=size)
    # PML takes the margin in degrees and keeps its weights as [D, C]
    theirs = pml_losses.ArcFaceLoss(CLASSES, DIM, margin=math.degrees(margin), scale=scale)
    assert_matches_pml(ArcFaceLoss(CLASSES, DIM, margin=margin, scale=scale), theirs, "W",
                       emb, labels, dtype)


def test_matches_pml_where_theta_plus_margin_passes_pi():
    # embeddings almost opposite their class weight: the cos(theta) - m sin(m) branch
    loss = ArcFaceLoss(3, 4, margin=0.6, scale=8.0).double()
    emb = -loss.weight.detach()[[0, 1, 2, 0]] + 0.05 * torch.randn(4, 4, dtype=torch.float64)
    theirs = pml_losses.ArcFaceLoss(3, 4, margin=math.degrees(0.6), scale=8.0)
    assert_matches_pml(loss, theirs, "W", emb, torch.tensor([0, 1, 2, 0]), torch.float64)


def test_hand_worked_example():
    loss = ArcFaceLoss(2, 2, margin=math.pi / 6, scale=1.0).double()
    loss.weight.data = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    a60, a170 = math.radians(60), math.radians(170)
    # theta = 60 deg to class 0: its logit is cos(60 + 30 deg) = 0; class 1's is cos(30 deg)
    x = torch.tensor([[math.cos(a60), math.sin(a60)]], dtype=torch.float64)
    expected = math.log(math.exp(0.0) + math.exp(math.sin(a60))) - 0.0
    assert loss(x, torch.tensor([0])).item() == pytest.approx(expected, abs=1e-12)
    # theta = 170 deg: theta + m passes pi, the logit is cos(theta) - m sin(m)
    x = torch.tensor([[math.cos(a170), math.sin(a170)]], dtype=torch.float64)
    target = math.cos(a170) - (math.pi / 6) * math.sin(math.pi / 6)
    expected = math.log(math.exp(target) + math.exp(math.sin(a170))) - target
    assert loss(x, torch.tensor([0])).item() == pytest.approx(expected, abs=1e-12)


def test_finite_gradient_when_an_embedding_is_its_class_weight():
    loss = ArcFaceLoss(3, 4)
    emb = loss.weight.detach()[[0, 1]].clone().requires_grad_()
    loss(emb, torch.tensor([0, 1])).backward()
    assert torch.isfinite(emb.grad).all() and torch.isfinite(loss.weight.grad).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_step_lowers_the_loss_and_moves_embeddings_to_their_class(seed):
    emb, labels = batch(12, torch.float64, seed)
    sgd_step_moves_towards_class(ArcFaceLoss(CLASSES, DIM, scale=8.0).double(), emb, labels)


def test_checks_and_registry_entry():
    entry = LOSSES.entry("arcface")
    assert entry.obj is ArcFaceLoss and entry["data_args"] == ("n_classes", "embedding_dim")
    loss = ArcFaceLoss(4, 3)
    with pytest.raises(DataError, match="class id 4 is outside"):
        loss(torch.randn(2, 3), torch.tensor([0, 4]))
    with pytest.raises(DataError, match="dimension 5 does not match"):
        loss(torch.randn(2, 5), torch.tensor([0, 1]))
    with pytest.raises(ConfigError, match="n_classes"):
        ArcFaceLoss(0, 3)
    with pytest.raises(ConfigError, match="scale"):
        ArcFaceLoss(4, 3, scale=0)
