"""TripletLoss against pytorch-metric-learning's TripletMarginLoss and a hand-worked example."""

from __future__ import annotations

import pytest
import torch
from loss_helpers import BATCHES, assert_same, value_and_grad
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning import reducers as pml_reducers
from pytorch_metric_learning.miners import EmbeddingsAlreadyPackagedAsTriplets

from siamkit.errors import ConfigError, DataError
from siamkit.losses import TripletLoss

PML_DISTANCE = {
    "euclidean": lambda: pml_distances.LpDistance(normalize_embeddings=False),
    "squared_euclidean": lambda: pml_distances.LpDistance(normalize_embeddings=False, power=2),
    "cosine": lambda: pml_distances.CosineSimilarity(),
    "manhattan": lambda: pml_distances.LpDistance(normalize_embeddings=False, p=1),
}


def pml_triplet(margin, distance, soft=False):
    loss = pml_losses.TripletMarginLoss(
        margin=margin,
        distance=PML_DISTANCE[distance](),
        reducer=pml_reducers.MeanReducer(),
        smooth_loss=soft,
        swap=False,
    )
    miner = EmbeddingsAlreadyPackagedAsTriplets()

    def run(a, p, n):
        # PML takes one batch; interleave rows as (a0, p0, n0, a1, p1, n1, ...).
        emb = torch.stack([a, p, n], dim=1).reshape(-1, a.shape[1])
        return loss(emb, torch.zeros(emb.shape[0]), miner(emb, torch.zeros(emb.shape[0])))

    return run


def test_hand_worked_example():
    a = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    p = torch.tensor([[3.0, 4.0], [0.0, 2.0]])  # d(a, p) = 5, 2
    n = torch.tensor([[6.0, 8.0], [1.0, 0.0]])  # d(a, n) = 10, 1
    # max(0, 5 - 10 + 1) = 0 and max(0, 2 - 1 + 1) = 2: mean 1.
    assert TripletLoss(margin=1.0)(a, p, n).item() == pytest.approx(1.0)


@pytest.mark.parametrize("distance", sorted(PML_DISTANCE))
@pytest.mark.parametrize("batch", BATCHES)
def test_matches_pml(batch, distance, dtype):
    gen = torch.Generator().manual_seed(batch)
    a, p, n = (torch.randn(batch, 5, generator=gen, dtype=dtype) for _ in range(3))
    margin = 0.5 if distance == "cosine" else 2.0
    ours = value_and_grad(TripletLoss(margin, distance), a, p, n)
    theirs = value_and_grad(pml_triplet(margin, distance), a, p, n)
    assert_same(ours, theirs, dtype)


def test_soft_margin_matches_pml_smooth_loss(dtype):
    gen = torch.Generator().manual_seed(3)
    a, p, n = (torch.randn(9, 4, generator=gen, dtype=dtype) for _ in range(3))
    ours = value_and_grad(TripletLoss(0.0, soft=True), a, p, n)
    theirs = value_and_grad(pml_triplet(0.0, "euclidean", soft=True), a, p, n)
    assert_same(ours, theirs, dtype)


def test_similarity_is_negated():
    # With "cosine_similarity" (higher = closer) the loss must equal the one on "cosine" distance.
    gen = torch.Generator().manual_seed(0)
    a, p, n = (torch.randn(6, 3, generator=gen) for _ in range(3))
    expected = TripletLoss(0.3, "cosine")(a, p, n)
    torch.testing.assert_close(TripletLoss(0.3, "cosine_similarity")(a, p, n), expected)


def test_bad_inputs():
    with pytest.raises(DataError, match="negative: shape"):
        TripletLoss()(torch.ones(3, 2), torch.ones(3, 2), torch.ones(2, 2))
    with pytest.raises(DataError, match="anchor: expected a float tensor"):
        TripletLoss()(torch.ones(3), torch.ones(3), torch.ones(3))
    with pytest.raises(ConfigError, match="distance"):
        TripletLoss(distance="chebyshev")
    with pytest.raises(ConfigError, match="margin"):
        TripletLoss(margin=-1)
