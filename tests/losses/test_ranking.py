"""MultipleNegativesRankingLoss against PML's NTXentLoss (temperature = 1 / scale, the pairs as
query and reference sets) and against a plain cross-entropy loop."""

from __future__ import annotations

import math

import pytest
import torch
from loss_helpers import BATCHES, assert_same, value_and_grad
from pytorch_metric_learning import losses as pml_losses

from siamkit.errors import ConfigError
from siamkit.losses import MultipleNegativesRankingLoss


def pml_mnrl(scale, symmetric):
    ntxent = pml_losses.NTXentLoss(temperature=1.0 / scale)

    def run(a, p):
        ids = torch.arange(a.shape[0])
        # A distinct ref_labels object: PML drops the diagonal when labels is ref_labels.
        forward = ntxent(a, ids, ref_emb=p, ref_labels=ids.clone())
        return (
            0.5 * (forward + ntxent(p, ids, ref_emb=a, ref_labels=ids.clone()))
            if symmetric
            else forward
        )

    return run


def loop_reference(a, p, scale, similarity):
    B = a.shape[0]
    rows = []
    for i in range(B):
        if similarity == "cosine":
            logits = [scale * torch.cosine_similarity(a[i], p[j], dim=0) for j in range(B)]
        else:
            logits = [scale * torch.dot(a[i], p[j]) for j in range(B)]
        rows.append(-(logits[i] - torch.logsumexp(torch.stack(logits), dim=0)))
    return sum(rows) / B


@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("batch", BATCHES)
def test_matches_pml_ntxent(batch, symmetric, dtype):
    gen = torch.Generator().manual_seed(batch)
    a = torch.randn(batch, 6, generator=gen, dtype=dtype)
    p = a + torch.randn(batch, 6, generator=gen, dtype=dtype)
    ours = value_and_grad(MultipleNegativesRankingLoss(20.0, symmetric=symmetric), a, p)
    theirs = value_and_grad(pml_mnrl(20.0, symmetric), a, p)
    assert_same(ours, theirs, dtype)


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
def test_matches_loop(similarity, dtype):
    gen = torch.Generator().manual_seed(2)
    a, p = (
        torch.randn(9, 4, generator=gen, dtype=dtype),
        torch.randn(9, 4, generator=gen, dtype=dtype),
    )
    ours = value_and_grad(MultipleNegativesRankingLoss(3.0, similarity=similarity), a, p)
    theirs = value_and_grad(lambda x, y: loop_reference(x, y, 3.0, similarity), a, p)
    assert_same(ours, theirs, dtype)


def test_hand_worked_example():
    # S = I, scale 1: each row is -log(e / (e + 1)) = log(1 + e^-1).
    a = torch.eye(2)
    expected = math.log(1 + math.exp(-1))
    assert MultipleNegativesRankingLoss(1.0)(a, a.clone()).item() == pytest.approx(expected)
    assert MultipleNegativesRankingLoss(1.0, symmetric=True)(a, a.clone()).item() == pytest.approx(
        expected
    )


def test_symmetric_differs_from_one_direction():
    gen = torch.Generator().manual_seed(4)
    a, p = torch.randn(5, 3, generator=gen), torch.randn(5, 3, generator=gen)
    one = MultipleNegativesRankingLoss(5.0)
    both = MultipleNegativesRankingLoss(5.0, symmetric=True)
    backward = one(p, a)
    assert both(a, p).item() == pytest.approx(0.5 * (one(a, p).item() + backward.item()), rel=1e-6)
    assert one(a, p).item() != pytest.approx(backward.item())


def test_config_errors():
    with pytest.raises(ConfigError, match="similarity"):
        MultipleNegativesRankingLoss(similarity="euclidean")
    with pytest.raises(ConfigError, match="scale"):
        MultipleNegativesRankingLoss(scale=0)
