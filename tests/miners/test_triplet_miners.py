"""Miners against pytorch-metric-learning's miners (same index sets), the cap, seeds, no_grad."""

from __future__ import annotations

import pytest
import torch
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import miners as pml_miners
from pytorch_metric_learning.utils import loss_and_miner_utils as lmu

from siamkit.distances import get_distance
from siamkit.errors import ConfigError, DataError
from siamkit import geometry as _select
from siamkit.miners import AllTripletsMiner, HardTripletMiner, SemiHardTripletMiner

PML_DISTANCE = {
    "euclidean": lambda: pml_distances.LpDistance(normalize_embeddings=False),
    "cosine": lambda: pml_distances.CosineSimilarity(),
}


def batch(size, seed, dtype=torch.float64, classes=5):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(size, 4, generator=gen, dtype=dtype), torch.randint(
        0, classes, (size,), generator=gen
    )


def as_set(triplets):
    return set(zip(*(t.tolist() for t in triplets)))


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
@pytest.mark.parametrize("size", [6, 20, 64])
def test_hard_miner_matches_pml(size, distance):
    emb, labels = batch(size, size)
    ours = HardTripletMiner(distance)(emb, labels)
    theirs = pml_miners.BatchHardMiner(distance=PML_DISTANCE[distance]())(emb, labels)
    assert as_set(ours) == as_set(theirs) and len(ours[0]) > 0


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
@pytest.mark.parametrize("size", [6, 20, 64])
def test_semihard_miner_matches_pml(size, distance):
    emb, labels = batch(size, size + 1)
    margin = 0.2 if distance == "cosine" else 0.8
    ours = SemiHardTripletMiner(margin, distance)(emb, labels)
    theirs = pml_miners.TripletMarginMiner(margin, "semihard", distance=PML_DISTANCE[distance]())(
        emb, labels
    )
    assert as_set(ours) == as_set(theirs) and len(ours[0]) > 0


@pytest.mark.parametrize("margin", [None, 0.5])
@pytest.mark.parametrize("size", [6, 20, 64])
def test_all_triplets_miner_matches_pml(size, margin):
    emb, labels = batch(size, size + 2)
    ours = AllTripletsMiner(margin)(emb, labels)
    if margin is None:
        theirs = lmu.get_all_triplets_indices(labels)
    else:
        theirs = pml_miners.TripletMarginMiner(margin, "all", distance=PML_DISTANCE["euclidean"]())(
            emb, labels
        )
    assert as_set(ours) == as_set(theirs) and len(ours[0]) > 0
    assert len(ours[0]) == len(as_set(ours))  # no duplicates


def test_hand_worked_hard_triplets():
    # 1-D points 0, 1 | 3, 4: farthest positive is the class partner, closest negative the
    # nearest point of the other class.
    emb = torch.tensor([[0.0], [1.0], [3.0], [4.0]])
    a, p, n = HardTripletMiner()(emb, torch.tensor([0, 0, 1, 1]))
    assert (a.tolist(), p.tolist(), n.tolist()) == ([0, 1, 2, 3], [1, 0, 3, 2], [2, 2, 1, 1])


@pytest.mark.parametrize("miner_cls", [AllTripletsMiner, SemiHardTripletMiner, HardTripletMiner])
def test_cap_is_a_seeded_subset(miner_cls, monkeypatch):
    emb, labels = batch(40, 3, classes=3)
    full = as_set(miner_cls()(emb, labels))
    cap = max(1, len(full) // 3)
    # Small chunks so that the counting pass and the chosen ranks span several slabs.
    monkeypatch.setattr(_select, "CHUNK_ELEMENTS", 200)
    first = miner_cls(max_triplets=cap, seed=7)
    capped = first(emb, labels)
    assert len(capped[0]) == cap and as_set(capped) <= full
    assert first.last_num_triplets == len(full)
    again = miner_cls(max_triplets=cap, seed=7)(emb, labels)
    assert all(torch.equal(x, y) for x, y in zip(capped, again))
    other = miner_cls(max_triplets=cap, seed=8)(emb, labels)
    assert as_set(other) != as_set(capped)
    assert all(t.dtype == torch.int64 for t in capped)


def test_runs_without_gradients():
    emb, labels = batch(12, 4, dtype=torch.float32)
    emb.requires_grad_()
    for miner in (HardTripletMiner(), SemiHardTripletMiner(1.0), AllTripletsMiner(0.5)):
        out = miner(emb, labels)
        assert all(t.grad_fn is None and not t.requires_grad for t in out)


def test_degenerate_batches_give_no_triplets():
    emb = torch.randn(4, 3)
    for labels in (torch.arange(4), torch.zeros(4, dtype=torch.long)):
        for miner in (HardTripletMiner(), SemiHardTripletMiner(), AllTripletsMiner()):
            assert all(t.numel() == 0 for t in miner(emb, labels))


def test_bad_inputs():
    with pytest.raises(DataError, match=r"labels: expected shape \[4\]"):
        HardTripletMiner()(torch.randn(4, 3), torch.zeros(3))
    with pytest.raises(ConfigError, match="max_triplets"):
        AllTripletsMiner(max_triplets=0)
    with pytest.raises(ConfigError, match="distance"):
        HardTripletMiner(distance="nope")


@pytest.mark.parametrize(
    "name", ["euclidean", "squared_euclidean", "cosine", "cosine_similarity", "manhattan"]
)
def test_in_place_distance_matrix_equals_the_distances_module(name):
    # Selection uses its own in-place matrix; it must be the distances module's (similarities
    # negated so that smaller = closer).
    dist = get_distance(name)
    emb, _ = batch(30, 9)
    expected = dist.pairwise(emb)
    expected = -expected if dist.is_similarity else expected
    torch.testing.assert_close(_select.distance_matrix(dist, emb), expected)


def test_a_generator_may_replace_the_seed():
    emb, labels = batch(30, 5, classes=3)
    first = AllTripletsMiner(max_triplets=20, seed=torch.Generator().manual_seed(3))(emb, labels)
    again = AllTripletsMiner(max_triplets=20, seed=torch.Generator().manual_seed(3))(emb, labels)
    assert all(torch.equal(x, y) for x, y in zip(first, again))
