"""The margin losses' shared cross-entropy (its gradient made in place): the value and gradients of
the plain scatter + cross_entropy it replaces, and its one backward per forward."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from loss_helpers import assert_same, value_and_grad

from siamkit.losses.arcface import ArcFaceLoss


def _inputs(per_class: int):
    gen = torch.Generator().manual_seed(per_class)
    z = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3 * per_class, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    target = torch.randn(6, generator=gen, dtype=torch.float64, requires_grad=True)
    return z, w, torch.tensor([0, 1, 2, 2, 1, 0]), target


def _call(z, w, labels, target, per_class):
    from siamkit.losses._margin_softmax import margin_cross_entropy  # the losses' own piece

    return margin_cross_entropy(z, w, labels, target, per_class)


@pytest.mark.parametrize("per_class", [1, 3])
def test_value_and_gradients_equal_scatter_and_cross_entropy(per_class):
    # (torch's gradcheck calls backward several times on one graph, which this function refuses)
    z, w, labels, target = _inputs(per_class)

    def plain(a, b, t):
        logits = (a @ b.T).view(6, 3, per_class).max(dim=2).values
        return F.cross_entropy(logits.scatter(1, labels[:, None], t[:, None]), labels)

    ours = value_and_grad(lambda a, b, t: _call(a, b, labels, t, per_class), z, w, target)
    assert_same(ours, value_and_grad(plain, z, w, target), torch.float64)


def test_a_second_backward_through_a_retained_graph_raises():
    loss = ArcFaceLoss(3, 4)
    value = loss(torch.randn(5, 4, requires_grad=True), torch.tensor([0, 1, 2, 0, 1]))
    value.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="once per forward"):
        value.backward()
