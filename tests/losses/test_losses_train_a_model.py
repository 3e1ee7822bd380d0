"""Every loss trains a SiameseNetwork through the input its ``input_kind`` names: a few steps on a
tiny two-cluster problem lower the loss, and the gradient lands in the one shared encoder."""

from __future__ import annotations

import pytest
import torch

from siamkit import SiameseNetwork, losses
from siamkit.encoders import create_encoder


def inputs_for(kind, model, x, labels, gen):
    """The loss inputs of one batch, built as the trainer would for ``input_kind``."""
    same = labels[::2] == labels[1::2]
    x1, x2 = x[::2], x[1::2]
    if kind == "pair_distances":
        return model.distance_fn.paired(*model(x1, x2)), same.float()
    if kind == "pair_logits":
        return model.head(*model(x1, x2)), same.float()
    if kind == "scored_pairs":
        return (*model(x1, x2), same.float())
    if kind == "labelled":
        return model(x)[0], labels
    if kind == "duplicates":  # row i of both views: the same point with different noise
        return model(x, x + 0.05 * torch.randn(x.shape, generator=gen))
    if kind == "triplets":
        order = torch.argsort(labels)
        a, p = order[:8], order[1:9]
        n = torch.flip(order, [0])[:8]
        return model(x[a], x[p], x[n])
    raise AssertionError(kind)


LOSSES = [
    losses.ContrastiveLoss(2.0),
    losses.BinaryCrossEntropyLoss(),
    losses.CosineSimilarityLoss(),
    losses.TripletLoss(1.0),
    losses.BatchHardTripletLoss(1.0),
    losses.BatchAllTripletLoss(1.0),
    losses.BatchSemiHardTripletLoss(1.0),
    losses.MinedTripletLoss(),
    losses.HardNegativeTripletLoss(0.5),
    losses.MultipleNegativesRankingLoss(10.0),
]


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: type(loss).__name__)
def test_loss_trains_the_shared_encoder(loss):
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    encoder = create_encoder("mlp", input_dim=6, embedding_dim=4, hidden_dims=(16,))
    head = "l1_sigmoid" if loss.input_kind == "pair_logits" else None
    model = SiameseNetwork(encoder, distance="euclidean", head=head)
    labels = torch.arange(32) % 4
    x = torch.randn(32, 6, generator=gen) + 1.5 * torch.nn.functional.one_hot(labels, 6).float()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    values = []
    for _ in range(15):
        opt.zero_grad()
        value = loss(*inputs_for(loss.input_kind, model, x, labels, gen))
        value.backward()
        opt.step()
        values.append(value.item())
    assert all(p.grad is not None for p in encoder.parameters())
    assert values[-1] < values[0]
