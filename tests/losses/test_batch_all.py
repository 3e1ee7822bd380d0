"""BatchAllTripletLoss against PML (TripletMarginLoss over all triplets, AvgNonZeroReducer), a
plain loop for the active fraction, a hand-worked example, and bounded memory."""

from __future__ import annotations

import itertools

import pytest
import torch
from loss_helpers import BATCHES, assert_same, labelled_batch, value_and_grad
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import losses as pml_losses

from siamkit import geometry as _select
from siamkit.losses import BatchAllTripletLoss

PML_DISTANCE = {
    "euclidean": lambda: pml_distances.LpDistance(normalize_embeddings=False),
    "squared_euclidean": lambda: pml_distances.LpDistance(normalize_embeddings=False, power=2),
    "manhattan": lambda: pml_distances.LpDistance(normalize_embeddings=False, p=1),
    "cosine": lambda: pml_distances.CosineSimilarity(),
    "cosine_similarity": lambda: pml_distances.CosineSimilarity(),
}
MARGIN = {
    "euclidean": 1.0,
    "squared_euclidean": 4.0,
    "manhattan": 2.0,
    "cosine": 0.3,
    "cosine_similarity": 0.3,
}


def loop_active_fraction(emb, labels, margin):
    d = torch.cdist(emb.double(), emb.double()).tolist()
    labels = labels.tolist()
    valid = active = 0
    for a, p, n in itertools.product(range(len(labels)), repeat=3):
        if a != p and labels[a] == labels[p] and labels[a] != labels[n]:
            valid += 1
            active += d[a][p] - d[a][n] + margin > 0
    return active, valid


@pytest.mark.parametrize("distance", sorted(PML_DISTANCE))
@pytest.mark.parametrize("batch", BATCHES[1:])
def test_matches_pml(batch, distance, dtype):
    # Every distance: the Gram-form gradients (euclidean, squared, cosine) and the autograd
    # fallback (manhattan).
    emb, labels = labelled_batch(batch, dtype, seed=batch)
    margin = MARGIN[distance]
    pml = pml_losses.TripletMarginLoss(margin=margin, distance=PML_DISTANCE[distance]())
    ours = value_and_grad(lambda e: BatchAllTripletLoss(margin, distance)(e, labels), emb)
    theirs = value_and_grad(lambda e: pml(e, labels), emb)
    assert_same(ours, theirs, dtype)


@pytest.mark.parametrize("batch", [5, 16, 24])
def test_active_fraction_matches_loop(batch):
    emb, labels = labelled_batch(batch, torch.float64, seed=batch + 1)
    loss = BatchAllTripletLoss(margin=1.0)
    loss(emb, labels)
    active, valid = loop_active_fraction(emb.detach(), labels, 1.0)
    assert (loss.last_active_triplets, loss.last_valid_triplets) == (active, valid)
    assert loss.last_active_fraction == pytest.approx(active / valid)


def test_hand_worked_example():
    # 1-D points 0, 1 (class 0) and 3, 4 (class 1), margin 2: 8 valid triplets; active ones are
    # (1, 0, 3): 1 - 2 + 2 = 1 and (3, 4, 1): 1 - 2 + 2 = 1. Loss = 2 / 2 = 1, fraction 2/8.
    emb = torch.tensor([[0.0], [1.0], [3.0], [4.0]])
    loss = BatchAllTripletLoss(margin=2.0)
    assert loss(emb, torch.tensor([0, 0, 1, 1])).item() == pytest.approx(1.0)
    assert loss.last_active_fraction == pytest.approx(0.25)


def test_no_active_triplet_gives_plain_zero():
    emb = torch.tensor([[0.0], [0.1], [5.0], [5.1]], requires_grad=True)
    loss = BatchAllTripletLoss(margin=0.5)
    value = loss(emb, torch.tensor([0, 0, 1, 1]))
    value.backward()
    assert value.item() == 0 and loss.last_active_fraction == 0
    assert loss.degenerate_batches == 0 and torch.equal(emb.grad, torch.zeros_like(emb))


def test_chunking_does_not_change_the_result(monkeypatch):
    emb, labels = labelled_batch(40, torch.float64, seed=7)
    whole = value_and_grad(lambda e: BatchAllTripletLoss(0.8)(e, labels), emb)
    # A budget of one row per chunk: every anchor-positive pair is its own slab.
    monkeypatch.setattr(_select, "CHUNK_ELEMENTS", 1)
    assert len(list(_select.pair_chunks(labels[:, None] == labels[None, :]))) > 40
    chunked = value_and_grad(lambda e: BatchAllTripletLoss(0.8)(e, labels), emb)
    assert_same(chunked, whole, torch.float64)
