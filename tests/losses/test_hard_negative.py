"""HardNegativeTripletLoss against a plain-loop reference of its definition, PML's semi-hard
negative selection, and a hand-worked example."""

from __future__ import annotations

import math

import pytest
import torch
from loss_helpers import BATCHES, assert_same, value_and_grad
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import miners as pml_miners

from siamkit.losses import HardNegativeTripletLoss


def loop_reference(v1, v2, margin):
    """The definition, row by row, with plain Python selection (autograd through torch scalars)."""
    B = v1.shape[0]
    n1 = [v1[i] / torch.linalg.vector_norm(v1[i]) for i in range(B)]
    n2 = [v2[j] / torch.linalg.vector_norm(v2[j]) for j in range(B)]
    rows = []
    for i in range(B):
        scores = [torch.dot(n1[i], n2[j]) for j in range(B)]
        positive = scores[i]
        negatives = [scores[j] for j in range(B) if j != i]
        mean_negative = sum(negatives) / len(negatives)
        below = [s for s in negatives if float(s.detach()) < float(positive.detach())]
        closest_term = 0.0
        if below:
            closest = max(below, key=lambda s: float(s.detach()))
            closest_term = torch.clamp(margin - positive + closest, min=0)
        rows.append(closest_term + torch.clamp(margin - positive + mean_negative, min=0))
    return sum(rows) / B


@pytest.mark.parametrize("margin", [0.25, 1.0])
@pytest.mark.parametrize("batch", BATCHES)
def test_matches_loop_reference(batch, margin, dtype):
    gen = torch.Generator().manual_seed(batch)
    v1 = torch.randn(batch, 5, generator=gen, dtype=dtype)
    v2 = v1 + 0.8 * torch.randn(batch, 5, generator=gen, dtype=dtype)
    ours = value_and_grad(HardNegativeTripletLoss(margin), v1, v2)
    theirs = value_and_grad(lambda a, b: loop_reference(a, b, margin), v1, v2)
    assert_same(ours, theirs, dtype)


def test_closest_negative_is_pml_semihard_negative():
    # PML's BatchEasyHardMiner with a semi-hard negative strategy on cosine similarity picks, per
    # row, the most similar negative that is still less similar than the positive: the same rows
    # and the same scores as our closest_negative (independent code).
    gen = torch.Generator().manual_seed(1)
    v1 = torch.randn(32, 8, generator=gen, dtype=torch.float64)
    v2 = v1 + torch.randn(32, 8, generator=gen, dtype=torch.float64)
    v2[:4] = -v1[:4]  # positive score -1: no negative lies below it in these rows
    ids = torch.arange(32)
    miner = pml_miners.BatchEasyHardMiner(
        pos_strategy="easy", neg_strategy="semihard", distance=pml_distances.CosineSimilarity()
    )
    _, _, a2, n = miner(v1, ids, v2, ids.clone())  # a new object: PML would drop the diagonal
    scores = torch.nn.functional.normalize(v1, dim=1) @ torch.nn.functional.normalize(v2, dim=1).T
    positive = scores.diagonal()
    margin = 0.25
    pml_closest = torch.zeros(32, dtype=torch.float64)
    pml_closest[a2] = (margin - positive[a2] + scores[a2, n]).clamp_min(0)
    mean_neg = (scores.sum(1) - positive) / 31
    expected = (pml_closest + (margin - positive + mean_neg).clamp_min(0)).mean()
    assert 0 < len(a2) < 32  # some rows have no negative below their positive
    torch.testing.assert_close(HardNegativeTripletLoss(margin)(v1, v2), expected)


def test_hand_worked_example():
    # Normalised v1 = e1, e2, (1,1)/sqrt2; v2 = e1, (1,1)/sqrt2, (1,2)/sqrt5. Rows 0 and 1 give 0.
    # Row 2: positive = 3/sqrt10, negatives 1/sqrt2 and 1; closest below = 1/sqrt2, mean =
    # (1/sqrt2 + 1)/2; both hinges are positive with margin 0.25.
    v1 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    v2 = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    pos, closest, mean = 3 / math.sqrt(10), 1 / math.sqrt(2), (1 / math.sqrt(2) + 1) / 2
    row2 = (0.25 - pos + closest) + (0.25 - pos + mean)
    assert HardNegativeTripletLoss(0.25)(v1, v2).item() == pytest.approx(row2 / 3, rel=1e-12)
    assert row2 / 3 == pytest.approx(0.054431, abs=1e-6)


def test_rows_not_columns():
    # The course code's bug took the maximum over axis 0 (columns). Make one column's maximum
    # differ from the row's: the value must follow rows (transposing the problem changes it).
    gen = torch.Generator().manual_seed(5)
    v1 = torch.randn(6, 4, generator=gen, dtype=torch.float64)
    v2 = torch.randn(6, 4, generator=gen, dtype=torch.float64)
    loss = HardNegativeTripletLoss(0.25)
    assert loss(v1, v2).item() == pytest.approx(loop_reference(v1, v2, 0.25).item())
    assert loss(v1, v2).item() != pytest.approx(loss(v2, v1).item())
