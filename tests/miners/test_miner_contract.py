"""One contract every registered miner keeps: built with its defaults, it takes a labelled batch and
returns valid (anchor, positive, negative) index triplets, without gradients."""

from __future__ import annotations

import pytest
import torch

from siamkit.registry import MINERS


@pytest.mark.parametrize("name", MINERS.names())
def test_defaults_build_and_mine_valid_triplets(name):
    assert MINERS.entry(name)["input_kind"] == "labelled"
    emb = torch.randn(9, 4, generator=torch.Generator().manual_seed(0)).requires_grad_()
    labels = torch.arange(9) % 3
    a, p, n = MINERS.get(name)()(emb, labels)
    assert a.dtype == p.dtype == n.dtype == torch.int64 and a.shape == p.shape == n.shape
    assert bool((labels[a] == labels[p]).all() and (labels[a] != labels[n]).all())
    assert bool((a != p).all()) and not any(t.requires_grad for t in (a, p, n))


@pytest.mark.parametrize("name", MINERS.names())
def test_a_mined_triplet_loss_takes_the_miner_by_name(name):
    from siamkit.losses import MinedTripletLoss

    loss = MinedTripletLoss(miner=name)
    assert isinstance(loss.miner, MINERS.get(name))
