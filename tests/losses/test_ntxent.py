"""NTXentLoss: pytorch-metric-learning's NTXentLoss on labelled batches and its
SelfSupervisedLoss(NTXentLoss) on two views (value and gradients), a hand-worked example that
tells it from SupCon, degenerate batches, and the direction of a step."""

from __future__ import annotations

from contextlib import nullcontext

import math

import pytest
import torch
from loss_helpers import BATCHES, assert_same, labelled_batch, value_and_grad
from pytorch_metric_learning import losses as pml_losses

from siamkit.errors import SiamkitWarning
from siamkit.losses import NTXentLoss, SupConLoss


@pytest.mark.parametrize("size", BATCHES)
@pytest.mark.parametrize("temperature", [0.07, 0.5])
def test_matches_pml(size, temperature, dtype):
    emb, labels = labelled_batch(size, dtype, seed=size + 5)
    if len(labels.unique()) < 2:
        labels[0] = labels[0] + 1
    # at size 2 every class appears once: the loss is 0 and says so
    degenerate = int(labels.unique(return_counts=True)[1].max()) < 2
    with pytest.warns(SiamkitWarning, match="no anchor has both") if degenerate else nullcontext():
        ours = value_and_grad(lambda e: NTXentLoss(temperature)(e, labels), emb)
    theirs = value_and_grad(lambda e: pml_losses.NTXentLoss(temperature)(e, labels), emb)
    assert_same(ours, theirs, dtype)
    loop = value_and_grad(lambda e: loop_reference(e, labels, temperature), emb)
    assert_same(ours, loop, dtype)


def loop_reference(emb, labels, temperature):
    """NT-Xent written out pair by pair, as the module docstring defines it."""
    z = torch.nn.functional.normalize(emb, dim=1)
    terms = []
    for i in range(len(z)):
        negatives = [z[i] @ z[n] / temperature for n in range(len(z)) if labels[n] != labels[i]]
        for p in range(len(z)):
            if p != i and labels[p] == labels[i]:
                s_ip = z[i] @ z[p] / temperature
                terms.append(torch.logsumexp(torch.stack([s_ip, *negatives]), 0) - s_ip)
    return torch.stack(terms).mean() if terms else emb.sum() * 0


def test_two_views_are_simclr_as_pml_self_supervised(dtype):
    gen = torch.Generator().manual_seed(1)
    v1 = torch.randn(8, 5, generator=gen, dtype=dtype)
    v2 = v1 + 0.5 * torch.randn(8, 5, generator=gen, dtype=dtype)
    ids = torch.arange(8).repeat(2)
    ours = value_and_grad(lambda a, b: NTXentLoss(0.2)(torch.cat([a, b]), ids), v1, v2)
    pml = pml_losses.SelfSupervisedLoss(pml_losses.NTXentLoss(0.2), symmetric=True)
    theirs = value_and_grad(lambda a, b: pml(a, b), v1, v2)
    assert_same(ours, theirs, dtype)


def test_hand_worked_example_other_positives_are_not_in_the_denominator():
    # class 0: a, b, d (b and d at 90 degrees to a, opposite each other); class 1: c opposite a
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [-1.0, 0.0]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1])
    e = math.exp
    terms = [  # -log(exp(s_ip) / (exp(s_ip) + exp(s_ic))) for each positive pair (i, p)
        -math.log(e(0) / (e(0) + e(-1))), -math.log(e(0) / (e(0) + e(-1))),  # (a, b), (a, d)
        -math.log(e(0) / (e(0) + e(0))), -math.log(e(-1) / (e(-1) + e(0))),  # (b, a), (b, d)
        -math.log(e(0) / (e(0) + e(0))), -math.log(e(-1) / (e(-1) + e(0))),  # (d, a), (d, b)
    ]
    value = NTXentLoss(1.0)(x, labels).item()
    assert value == pytest.approx(sum(terms) / 6, abs=1e-12)
    assert value != pytest.approx(SupConLoss(1.0)(x, labels).item())


@pytest.mark.parametrize("labels", [[0, 1, 2, 3], [4, 4, 4, 4]], ids=["no-positive", "one-class"])
def test_degenerate_batches_give_a_connected_zero(labels):
    emb = torch.randn(4, 3, requires_grad=True)
    loss = NTXentLoss()
    with pytest.warns(SiamkitWarning, match="no anchor"):
        value = loss(emb, torch.tensor(labels))
    value.backward()
    assert value.item() == 0 and loss.degenerate_batches == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_step_lowers_the_loss_and_moves_each_positive_pair_together(seed):
    gen = torch.Generator().manual_seed(seed)
    v1 = torch.randn(6, 4, generator=gen, dtype=torch.float64)
    emb, labels = torch.cat([v1, v1 + torch.randn(6, 4, generator=gen, dtype=torch.float64)]), \
        torch.arange(6).repeat(2)
    loss = NTXentLoss(0.5)
    e = emb.clone().requires_grad_()
    before = loss(e, labels)
    before.backward()
    moved = (e - 0.05 * e.grad).detach()
    assert loss(moved, labels) < before
    pair = torch.nn.functional.cosine_similarity
    assert (pair(moved[:6], moved[6:]) > pair(emb[:6], emb[6:])).all()
