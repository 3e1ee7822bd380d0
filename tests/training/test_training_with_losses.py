"""The trainer with every loss of siamkit.losses, through the input_kind contract; the in-batch
losses' degenerate-batch counters reach the history."""

from __future__ import annotations

import warnings

import pytest

import siamkit as sk
from training_helpers import batches, tiny_model

losses = pytest.importorskip("siamkit.losses", reason="siamkit.losses is not part of this tree yet")

CASES = [
    ("ContrastiveLoss", {}, "pairs", None),
    ("BinaryCrossEntropyLoss", {}, "pairs", "l1_sigmoid"),
    ("CosineSimilarityLoss", {}, "scored_pairs", None),
    ("TripletLoss", {}, "triplets", None),
    ("BatchHardTripletLoss", {}, "labelled", None),
    ("BatchAllTripletLoss", {}, "labelled", None),
    ("BatchSemiHardTripletLoss", {}, "labelled", None),
    ("HardNegativeTripletLoss", {}, "duplicates", None),
    ("MultipleNegativesRankingLoss", {}, "duplicates", None),
]


@pytest.mark.parametrize("name,kw,kind,head", CASES, ids=[c[0] for c in CASES])
def test_every_siamkit_loss_trains_with_its_batch_kind(name, kw, kind, head):
    loss = getattr(losses, name)(**kw)
    history = sk.Trainer(
        tiny_model(head=head), loss, epochs=2, progress=False, batch_kind=kind
    ).fit(batches(kind, 3), batches(kind, 2, seed=8))
    assert all(v is not None for v in history["train_loss"] + history["val_loss"])


def test_degenerate_batches_of_an_in_batch_loss_are_counted_per_epoch():
    train = batches("labelled", 2, p=4, k=2) + batches("labelled", 1, p=4, k=1)  # k=1: no positive
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sk.SiamkitWarning)
        history = sk.Trainer(
            tiny_model(), losses.BatchHardTripletLoss(), epochs=3, progress=False
        ).fit(train)
    assert history["degenerate_batches"] == [1, 1, 1]
