"""MinedTripletLoss: a miner's triplets fed to TripletLoss, checked against PML's composition."""

from __future__ import annotations

import pytest
import torch
from loss_helpers import assert_same, labelled_batch, value_and_grad
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning import miners as pml_miners
from pytorch_metric_learning import reducers as pml_reducers

from siamkit.errors import ConfigError, SiamkitWarning
from siamkit.losses import BatchHardTripletLoss, MinedTripletLoss, TripletLoss
from siamkit.miners import AllTripletsMiner, HardTripletMiner, SemiHardTripletMiner


def test_semihard_mined_matches_pml(dtype):
    emb, labels = labelled_batch(24, dtype, seed=11)
    dist = pml_distances.LpDistance(normalize_embeddings=False)
    pml_loss = pml_losses.TripletMarginLoss(0.8, distance=dist, reducer=pml_reducers.MeanReducer())
    pml_miner = pml_miners.TripletMarginMiner(0.8, "semihard", distance=dist)
    ours = value_and_grad(
        lambda e: MinedTripletLoss(TripletLoss(0.8), SemiHardTripletMiner(0.8))(e, labels), emb
    )
    theirs = value_and_grad(lambda e: pml_loss(e, labels, pml_miner(e, labels)), emb)
    assert_same(ours, theirs, dtype)


def test_hard_miner_composition_equals_batch_hard(dtype):
    emb, labels = labelled_batch(16, dtype, seed=5)
    ours = value_and_grad(
        lambda e: MinedTripletLoss(TripletLoss(1.0), HardTripletMiner())(e, labels), emb
    )
    direct = value_and_grad(lambda e: BatchHardTripletLoss(1.0)(e, labels), emb)
    assert_same(ours, direct, dtype)


def test_capped_miner_bounds_the_triplets():
    emb, labels = labelled_batch(30, torch.float32, seed=2)
    loss = MinedTripletLoss(TripletLoss(0.5), AllTripletsMiner(max_triplets=50, seed=1))
    assert torch.isfinite(loss(emb, labels))
    assert loss.miner.last_num_triplets > 50


def test_nothing_mined_is_degenerate():
    emb = torch.tensor([[0.0], [0.1], [9.0], [9.1]], requires_grad=True)
    loss = MinedTripletLoss(TripletLoss(0.5), SemiHardTripletMiner(0.5))  # all triplets easy
    with pytest.warns(SiamkitWarning, match="found no triplet"):
        value = loss(emb, torch.tensor([0, 0, 1, 1]))
    value.backward()
    assert value.item() == 0 and loss.degenerate_batches == 1
    assert torch.equal(emb.grad, torch.zeros_like(emb))
    assert loss.input_kind == "labelled"


def test_from_a_config_margin_and_distance_reach_the_loss_and_a_named_miner():
    loss = MinedTripletLoss(miner="semihard", margin=0.4, distance="cosine")
    assert loss.loss.margin == 0.4 and loss.loss.distance.name == "cosine"
    assert loss.miner.margin == 0.4 and loss.miner.distance.name == "cosine"
    hard = MinedTripletLoss(miner="hard", margin=0.4)  # the hard miner takes no margin
    assert hard.loss.margin == 0.4 and hard.miner.distance.name == "euclidean"
    emb, labels = labelled_batch(24, torch.float64, seed=3)
    ours = value_and_grad(lambda e: loss(e, labels), emb)
    direct = value_and_grad(lambda e: MinedTripletLoss(
        TripletLoss(0.4, "cosine"), SemiHardTripletMiner(0.4, "cosine"))(e, labels), emb)
    assert_same(ours, direct, torch.float64)


def test_margin_with_a_loss_module_is_an_error():
    with pytest.raises(ConfigError, match="set them on it"):
        MinedTripletLoss(TripletLoss(0.5), margin=0.3)
