"""Triplets: random ones are valid; hard and semi-hard ones match a plain-loop reference and
pytorch-metric-learning's BatchHardMiner."""

from __future__ import annotations

import pytest
import torch
from pytorch_metric_learning.distances import LpDistance
from pytorch_metric_learning.miners import BatchHardMiner

from siamkit.data import (LabelledData, embed_in_batches, hard_triplet_indices, mine_triplets,
                          random_triplet_indices)
from siamkit.errors import ConfigError, DataError


def _toy(n=40, d=5, classes=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.arange(n) % classes


def test_random_triplets_are_valid_and_seeded():
    _, y = _toy()
    a, p, n = random_triplet_indices(y, seed=2)
    assert torch.equal(a, torch.arange(40))
    assert bool((y[a] == y[p]).all() and (a != p).all() and (y[a] != y[n]).all())
    assert torch.equal(n, random_triplet_indices(y, seed=2)[2])


def test_hard_matches_plain_loop_reference():
    emb, y = _toy()
    (a, p, n), info = hard_triplet_indices(emb, y, strategy="hard", pool_size=1000)
    assert info == {"random_positives": 0, "random_negatives": 0}
    d = torch.cdist(emb, emb)
    for i in range(len(y)):
        same = [j for j in range(len(y)) if y[j] == y[i] and j != i]
        other = [j for j in range(len(y)) if y[j] != y[i]]
        assert d[i, p[i]] == pytest.approx(max(d[i, j].item() for j in same), abs=1e-5)
        assert d[i, n[i]] == pytest.approx(min(d[i, j].item() for j in other), abs=1e-5)


def test_hard_agrees_with_pytorch_metric_learning():
    emb, y = _toy(seed=3)
    (a, p, n), _ = hard_triplet_indices(emb, y, strategy="hard", pool_size=1000)
    ra, rp, rn = BatchHardMiner(distance=LpDistance(normalize_embeddings=False))(emb, y)
    d = torch.cdist(emb, emb)
    order = torch.argsort(ra)
    assert torch.allclose(d[a, p], d[ra, rp][order], atol=1e-5)
    assert torch.allclose(d[a, n], d[ra, rn][order], atol=1e-5)


def test_semi_hard_definition():
    emb, y = _toy(seed=4)
    (a, p, n), _ = hard_triplet_indices(emb, y, strategy="semi-hard", pool_size=1000)
    d = torch.cdist(emb, emb)
    for i in range(len(y)):
        farther = [d[i, j].item() for j in range(len(y)) if y[j] != y[i] and d[i, j] > d[i, p[i]]]
        if farther:  # the closest negative that is still farther than the positive
            assert d[i, n[i]].item() == pytest.approx(min(farther), abs=1e-5)


def test_small_pools_fall_back_and_count():
    emb, y = _toy(n=30, classes=10)
    (a, p, n), info = hard_triplet_indices(emb, y, strategy="hard", pool_size=4, seed=0)
    assert info["random_positives"] > 0
    assert bool((y[a] == y[p]).all() and (a != p).all() and (y[a] != y[n]).all())


def test_cosine_distance_uses_scores():
    emb, y = _toy(seed=5)
    (a, p, n), _ = hard_triplet_indices(emb, y, strategy="hard", distance="cosine")
    sim = torch.nn.functional.normalize(emb) @ torch.nn.functional.normalize(emb).T
    i = 0
    others = [j for j in range(len(y)) if y[j] != y[i]]
    assert sim[i, n[i]].item() == pytest.approx(max(sim[i, j].item() for j in others), abs=1e-5)


def test_mine_with_a_module_restores_training_mode():
    emb, y = _toy()
    model = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.Dropout(0.5))
    model.train()
    data = LabelledData(emb, y)
    (a, p, n), _ = mine_triplets(model, data, strategy="hard", batch_size=7)
    assert model.training
    model.eval()
    with torch.no_grad():
        ref, _ = hard_triplet_indices(model(emb), y, strategy="hard")
    assert torch.equal(p, ref[1]) and torch.equal(n, ref[2])
    out = embed_in_batches(lambda x: x * 2, emb, batch_size=6)
    assert torch.equal(out, emb * 2) and not out.requires_grad


def test_errors():
    emb, y = _toy()
    with pytest.raises(DataError, match="expected \\[40, D\\]"):
        hard_triplet_indices(emb[:5], y)
    with pytest.raises(ConfigError, match="strategy"):
        hard_triplet_indices(emb, y, strategy="easy")
    with pytest.raises(DataError, match="only one class"):
        random_triplet_indices(torch.zeros(4, dtype=torch.long))
