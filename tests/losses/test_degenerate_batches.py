"""Every loss on degenerate and pathological batches: zero (not NaN) loss with a zero gradient,
a counter and one warning; finite values and gradients on identical inputs, zero vectors and
one-element batches."""

from __future__ import annotations

import warnings

import pytest
import torch

from siamkit import losses as L
from siamkit.distances import euclidean_distance
from siamkit.errors import DataError, SiamkitWarning

LABELLED = [
    lambda: L.BatchHardTripletLoss(0.3),
    lambda: L.BatchHardTripletLoss(0.3, soft=True),
    lambda: L.BatchHardTripletLoss(0.3, distance="cosine"),
    lambda: L.BatchAllTripletLoss(0.3),
    lambda: L.BatchAllTripletLoss(0.3, distance="cosine"),
    lambda: L.BatchSemiHardTripletLoss(0.3),
    lambda: L.MinedTripletLoss(),
]
DUPLICATES = [
    lambda: L.HardNegativeTripletLoss(),
    lambda: L.MultipleNegativesRankingLoss(),
    lambda: L.MultipleNegativesRankingLoss(symmetric=True, similarity="dot"),
]
DTYPES = [torch.float32, torch.float64]


def run(loss, *inputs):
    leaves = [
        x.clone().requires_grad_() if x.is_floating_point() and x.dim() == 2 else x for x in inputs
    ]
    value = loss(*leaves)
    value.backward()
    grads = [x.grad for x in leaves if isinstance(x, torch.Tensor) and x.requires_grad]
    return value, grads


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "labels",
    [torch.arange(5), torch.zeros(5, dtype=torch.long)],
    ids=["each-class-once", "one-class"],
)
@pytest.mark.parametrize("make", LABELLED)
def test_labelled_degenerate_batch(make, labels, dtype):
    loss = make()
    emb = torch.randn(5, 3, dtype=dtype)
    with pytest.warns(SiamkitWarning, match="degenerate_batches"):
        value, grads = run(loss, emb, labels)
    assert value.item() == 0 and value.dtype == dtype
    assert all(torch.equal(g, torch.zeros_like(g)) for g in grads)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per loss object: no second warning
        run(loss, emb, labels)
    assert loss.degenerate_batches == 2


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make", DUPLICATES)
def test_duplicates_batch_of_one(make, dtype):
    loss = make()
    with pytest.warns(SiamkitWarning, match="no in-batch negative"):
        value, grads = run(loss, torch.randn(1, 4, dtype=dtype), torch.randn(1, 4, dtype=dtype))
    assert value.item() == 0 and loss.degenerate_batches == 1
    assert all(torch.equal(g, torch.zeros_like(g)) for g in grads)


def all_losses():
    """(name, loss, inputs-builder) for every loss; the builder takes the [B, D] leaf tensor."""

    def distances(x):  # paired euclidean distances, exactly 0 for identical rows
        return euclidean_distance(x, x.flip(0))

    def ones(x):
        return torch.ones(x.shape[0])

    return [
        ("contrastive-same", L.ContrastiveLoss(), lambda x: (distances(x), ones(x))),
        ("contrastive-diff", L.ContrastiveLoss(), lambda x: (distances(x), 0 * ones(x))),
        ("bce", L.BinaryCrossEntropyLoss(), lambda x: (x.sum(1), ones(x))),
        ("triplet", L.TripletLoss(), lambda x: (x, x.flip(0), x.roll(1, 0))),
        ("triplet-cos", L.TripletLoss(distance="cosine"), lambda x: (x, x.flip(0), x.roll(1, 0))),
        ("cosine-sim", L.CosineSimilarityLoss(), lambda x: (x, x.flip(0), ones(x))),
        *[
            (f"labelled{i}", make(), lambda x: (x, torch.arange(x.shape[0]) % 2))
            for i, make in enumerate(LABELLED)
        ],
        *[
            (f"duplicates{i}", make(), lambda x: (x, x.flip(0)))
            for i, make in enumerate(DUPLICATES)
        ],
    ]


def test_label_shape_errors_are_named():
    for make in LABELLED:
        with pytest.raises(DataError, match=r"labels: expected shape \[4\]"):
            make()(torch.randn(4, 3), torch.zeros(5))
        with pytest.raises(DataError, match="labels: class ids must be whole numbers"):
            make()(torch.randn(4, 3), torch.tensor([0.0, 0.5, 1.0, 1.0]))
        with pytest.raises(DataError, match="embeddings: expected a float tensor"):
            make()(torch.randn(4), torch.zeros(4))


@pytest.mark.parametrize("case", ["identical", "zeros", "one"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_no_nan_or_inf(case, dtype):
    if case == "identical":
        x = torch.ones(6, 4, dtype=dtype) * 0.7
    elif case == "zeros":
        x = torch.zeros(6, 4, dtype=dtype)
    else:
        x = torch.randn(1, 4, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SiamkitWarning)
        for name, loss, make_inputs in all_losses():
            leaf = x.clone().requires_grad_()
            value = loss(*make_inputs(leaf))
            value.backward()
            assert torch.isfinite(value), (name, case)
            assert leaf.grad is None or torch.isfinite(leaf.grad).all(), (name, case)


def test_input_kinds():
    kinds = {
        L.ContrastiveLoss: "pair_distances",
        L.BinaryCrossEntropyLoss: "pair_logits",
        L.TripletLoss: "triplets",
        L.BatchHardTripletLoss: "labelled",
        L.BatchAllTripletLoss: "labelled",
        L.BatchSemiHardTripletLoss: "labelled",
        L.MinedTripletLoss: "labelled",
        L.HardNegativeTripletLoss: "duplicates",
        L.MultipleNegativesRankingLoss: "duplicates",
        L.CosineSimilarityLoss: "scored_pairs",
    }
    for cls, kind in kinds.items():
        assert cls.input_kind == kind
        assert cls.__doc__ and "Inputs" in cls.__doc__
