"""Property tests: one SGD step on the embeddings, for every loss, lowers positive (same, label 1)
distances and raises negative (different, label 0) ones on a batch where the loss is active.
A flipped label convention would move them the other way and fail these tests."""

from __future__ import annotations

import pytest
import torch

from siamkit import losses as L
from siamkit.distances import euclidean_distance, pairwise_euclidean_distance
from siamkit.miners import HardTripletMiner

LR = 1e-2


def sgd_step(loss_of, *tensors):
    leaves = [t.clone().requires_grad_() for t in tensors]
    loss_of(*leaves).backward()
    with torch.no_grad():
        return [t - LR * t.grad for t in leaves]


def labelled_batch(seed):
    # Two classes whose clouds overlap, so that every labelled loss is active.
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(12) % 3
    emb = torch.randn(12, 4, generator=gen, dtype=torch.float64) + 0.3 * labels[:, None]
    return emb, labels


def mean_pos_neg(emb, labels):
    d = pairwise_euclidean_distance(emb)
    same = labels[:, None] == labels[None, :]
    off = ~torch.eye(len(labels), dtype=torch.bool)
    return d[same & off].mean(), d[~same].mean()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "make",
    [lambda: L.BatchAllTripletLoss(2.0), lambda: L.BatchSemiHardTripletLoss(2.0)],
    ids=["batch-all", "semi-hard"],
)
def test_losses_over_all_pairs(make, seed):
    # These losses use every anchor-positive pair: the mean over all pairs must move.
    emb, labels = labelled_batch(seed)
    loss = make()
    assert loss(emb, labels).item() > 0
    new = sgd_step(lambda e: loss(e, labels), emb)[0]
    pos0, neg0 = mean_pos_neg(emb, labels)
    pos1, neg1 = mean_pos_neg(new, labels)
    assert pos1 < pos0 and neg1 > neg0


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "make",
    [
        lambda: L.BatchHardTripletLoss(2.0),
        lambda: L.BatchHardTripletLoss(0.0, soft=True),
        lambda: L.MinedTripletLoss(L.TripletLoss(2.0), HardTripletMiner()),
    ],
    ids=["batch-hard", "batch-hard-soft", "mined-hard"],
)
def test_hardest_pairs_move(make, seed):
    # Batch-hard only touches each anchor's hardest positive and negative: those pairs must move.
    emb, labels = labelled_batch(seed)
    loss = make()
    assert loss(emb, labels).item() > 0
    a, p, n = HardTripletMiner()(emb, labels)
    new = sgd_step(lambda e: loss(e, labels), emb)[0]
    assert euclidean_distance(new[a], new[p]).mean() < euclidean_distance(emb[a], emb[p]).mean()
    assert euclidean_distance(new[a], new[n]).mean() > euclidean_distance(emb[a], emb[n]).mean()


def test_triplet_loss_each_active_triplet():
    gen = torch.Generator().manual_seed(0)
    a, p, n = (torch.randn(8, 3, generator=gen, dtype=torch.float64) for _ in range(3))
    a2, p2, n2 = sgd_step(L.TripletLoss(margin=3.0), a, p, n)
    active = euclidean_distance(a, p) - euclidean_distance(a, n) + 3.0 > 0
    assert active.all()
    assert (euclidean_distance(a2, p2) < euclidean_distance(a, p)).all()
    assert (euclidean_distance(a2, n2) > euclidean_distance(a, n)).all()


@pytest.mark.parametrize("y", [1.0, 0.0])
def test_contrastive_follows_the_label(y):
    gen = torch.Generator().manual_seed(0)
    u, v = torch.randn(6, 3, generator=gen) * 0.2, torch.randn(6, 3, generator=gen) * 0.2
    labels = torch.full((6,), y)
    loss = L.ContrastiveLoss(margin=2.0)  # all pairs within the margin: both terms active
    u2, v2 = sgd_step(lambda a, b: loss(euclidean_distance(a, b), labels), u, v)
    before, after = euclidean_distance(u, v), euclidean_distance(u2, v2)
    # y = 1 (same) must pull together; y = 0 (different) must push apart.
    assert (after < before).all() if y == 1 else (after > before).all()


@pytest.mark.parametrize("y", [1.0, 0.0])
def test_bce_on_a_distance_logit_follows_the_label(y):
    gen = torch.Generator().manual_seed(0)
    u, v = torch.randn(6, 3, generator=gen), torch.randn(6, 3, generator=gen)
    labels = torch.full((6,), y)

    def loss(a, b):  # a fixed head: closer pairs get a higher match logit
        return L.BinaryCrossEntropyLoss()(2.0 - euclidean_distance(a, b), labels)

    u2, v2 = sgd_step(loss, u, v)
    before, after = euclidean_distance(u, v), euclidean_distance(u2, v2)
    assert (after < before).all() if y == 1 else (after > before).all()


def duplicate_scores(v1, v2):
    s = torch.nn.functional.normalize(v1, dim=1) @ torch.nn.functional.normalize(v2, dim=1).T
    off = ~torch.eye(len(s), dtype=torch.bool)
    return s.diagonal().mean(), s[off].mean()


@pytest.mark.parametrize(
    "make",
    [
        lambda: L.HardNegativeTripletLoss(1.0),
        lambda: L.MultipleNegativesRankingLoss(5.0),
        lambda: L.MultipleNegativesRankingLoss(5.0, symmetric=True),
    ],
    ids=["hard-negative", "mnrl", "mnrl-symmetric"],
)
def test_duplicate_losses(make):
    gen = torch.Generator().manual_seed(0)
    v1 = torch.randn(8, 4, generator=gen, dtype=torch.float64)
    v2 = v1 + torch.randn(8, 4, generator=gen, dtype=torch.float64)
    loss = make()
    assert loss(v1, v2).item() > 0
    pos0, neg0 = duplicate_scores(v1, v2)
    pos1, neg1 = duplicate_scores(*sgd_step(loss, v1, v2))
    assert pos1 > pos0 and neg1 < neg0  # scores: higher = more similar


def test_cosine_similarity_loss_moves_towards_targets():
    gen = torch.Generator().manual_seed(0)
    u, v = torch.randn(8, 4, generator=gen), torch.randn(8, 4, generator=gen)
    target = torch.tensor([1.0, 0.0] * 4)
    before = torch.cosine_similarity(u, v)
    u2, v2 = sgd_step(lambda a, b: L.CosineSimilarityLoss()(a, b, target), u, v)
    after = torch.cosine_similarity(u2, v2)
    assert ((after - target).abs() < (before - target).abs()).all()
