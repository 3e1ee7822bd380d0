"""BatchSemiHardTripletLoss against a plain-loop reference of FaceNet's semi-hard rule (as in
TensorFlow Addons' triplet_semihard_loss) and a hand-worked example."""

from __future__ import annotations

import pytest
import torch
from loss_helpers import BATCHES, assert_same, labelled_batch, value_and_grad

from siamkit.losses import BatchSemiHardTripletLoss


def loop_reference(emb, labels, margin):
    labels = labels.tolist()
    B = len(labels)
    d = [
        [float(torch.linalg.vector_norm(emb[i] - emb[j]).detach()) for j in range(B)]
        for i in range(B)
    ]
    terms = []
    for a in range(B):
        negatives = [n for n in range(B) if labels[n] != labels[a]]
        if not negatives:
            continue
        for p in range(B):
            if p == a or labels[p] != labels[a]:
                continue
            farther = [n for n in negatives if d[a][n] > d[a][p]]
            if farther:
                n = min(farther, key=lambda k: d[a][k])
            else:
                n = max(negatives, key=lambda k: d[a][k])
            d_ap = torch.linalg.vector_norm(emb[a] - emb[p])
            d_an = torch.linalg.vector_norm(emb[a] - emb[n])
            terms.append(torch.clamp(d_ap - d_an + margin, min=0))
    return torch.stack(terms).mean()


@pytest.mark.parametrize("batch", BATCHES[1:])
def test_matches_loop_reference(batch, dtype):
    emb, labels = labelled_batch(batch, dtype, seed=batch + 10)
    ours = value_and_grad(lambda e: BatchSemiHardTripletLoss(1.0)(e, labels), emb)
    theirs = value_and_grad(lambda e: loop_reference(e, labels, 1.0), emb)
    assert_same(ours, theirs, dtype)


def test_hand_worked_example():
    # Points 0, 3 (class 0) and 1 (class 1), margin 1. Pair (0, 3): d_ap = 3, the only negative
    # is at 1 < 3, so the farthest negative is used: 3 - 1 + 1 = 3. Pair (3, 0): d_ap = 3, the
    # negative is at 2 < 3: 3 - 2 + 1 = 2. Sample 1 has no positive. Mean = 2.5.
    emb = torch.tensor([[0.0], [3.0], [1.0]])
    assert BatchSemiHardTripletLoss(1.0)(emb, torch.tensor([0, 0, 1])).item() == pytest.approx(2.5)


def test_prefers_the_closest_negative_beyond_the_positive():
    # Points 0, 1 (class 0) and negatives 0.5, 1.5, 4 (one class each), margin 1.
    # Pair (0, 1): d_ap = 1; negatives at 0.5, 1.5, 4; the closest beyond 1 is 1.5:
    # 1 - 1.5 + 1 = 0.5.
    # Pair (1, 0): d_ap = 1; negatives at 0.5, 0.5, 3; the closest beyond 1 is 3: max(0, -1) = 0.
    # Mean 0.25 (the hardest negatives would give 1.5 for both pairs).
    emb = torch.tensor([[0.0], [1.0], [0.5], [1.5], [4.0]])
    labels = torch.tensor([0, 0, 1, 2, 3])
    assert BatchSemiHardTripletLoss(1.0)(emb, labels).item() == pytest.approx(0.25)
