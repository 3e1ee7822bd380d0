"""BatchHardTripletLoss against PML (TripletMarginLoss + BatchHardMiner, mean reduction)."""

from __future__ import annotations

import pytest
import torch
from loss_helpers import BATCHES, assert_same, labelled_batch, value_and_grad
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning import miners as pml_miners
from pytorch_metric_learning import reducers as pml_reducers

from siamkit.losses import BatchHardTripletLoss

PML_DISTANCE = {
    "euclidean": lambda: pml_distances.LpDistance(normalize_embeddings=False),
    "cosine": lambda: pml_distances.CosineSimilarity(),
}


def pml_batch_hard(margin, distance, soft=False):
    # Hermans et al. average over all anchors, hinge zeros included: PML's MeanReducer, not its
    # default AvgNonZeroReducer.
    loss = pml_losses.TripletMarginLoss(
        margin=margin,
        distance=PML_DISTANCE[distance](),
        reducer=pml_reducers.MeanReducer(),
        smooth_loss=soft,
    )
    miner = pml_miners.BatchHardMiner(distance=PML_DISTANCE[distance]())
    return lambda emb, labels: loss(emb, labels, miner(emb, labels))


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
@pytest.mark.parametrize("batch", BATCHES[1:])
def test_matches_pml(batch, distance, soft, dtype):
    emb, labels = labelled_batch(batch, dtype, seed=batch)
    margin = 0.3 if distance == "cosine" else 1.0
    ours = value_and_grad(
        lambda e: BatchHardTripletLoss(margin, distance, soft=soft)(e, labels), emb
    )
    theirs = value_and_grad(lambda e: pml_batch_hard(margin, distance, soft)(e, labels), emb)
    assert_same(ours, theirs, dtype)


def test_hand_worked_example():
    # 1-D points 0, 1 (class 0) and 3, 4 (class 1), margin 2. Hardest positive is always at
    # distance 1; closest negatives: 3, 2, 2, 3. Hinges: 0, 1, 1, 0 -> mean 0.5.
    emb = torch.tensor([[0.0], [1.0], [3.0], [4.0]])
    labels = torch.tensor([0, 0, 1, 1])
    assert BatchHardTripletLoss(margin=2.0)(emb, labels).item() == pytest.approx(0.5)


def test_anchors_without_positive_are_left_out():
    # Sample 4 is alone in class 2: only anchors 0..3 count, the value is that of the batch
    # without it.
    emb = torch.tensor([[0.0], [1.0], [3.0], [4.0], [10.0]])
    labels = torch.tensor([0, 0, 1, 1, 2])
    assert BatchHardTripletLoss(margin=2.0)(emb, labels).item() == pytest.approx(0.5)
