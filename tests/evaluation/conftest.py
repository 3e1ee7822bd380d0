"""A stand-in with the SiameseNetwork interface (embed, similarity, score_embeddings,
pairwise_scores, distance_fn, head, threshold, set_threshold), for evaluation tests that need a
model."""

from __future__ import annotations

import pytest
import torch

from siamkit.distances import get_distance


class StandInModel(torch.nn.Module):
    """Embeds with a fixed linear map; scores are -euclidean distance, or a sigmoid 'head'."""

    def __init__(self, dim_in: int = 4, dim_out: int = 3, head: bool = False, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.encoder = torch.nn.Linear(dim_in, dim_out)
        with torch.no_grad():
            self.encoder.weight.copy_(torch.randn(dim_out, dim_in, generator=g))
            self.encoder.bias.zero_()
        self.distance_fn = get_distance("euclidean")
        self.head = torch.nn.Identity() if head else None
        self.threshold = None
        self.threshold_info = None
        self.calls: list[str] = []
        self.grad_seen: list[bool] = []

    def embed(self, x):
        self.calls.append(f"embed:{len(x)}:{'train' if self.training else 'eval'}")
        self.grad_seen.append(torch.is_grad_enabled())
        return self.encoder(torch.as_tensor(x, dtype=torch.float32))

    def score_embeddings(self, u, v):
        d = self.distance_fn.paired(u, v)
        return torch.sigmoid(2.0 - d) if self.head is not None else self.distance_fn.to_score(d)

    def pairwise_scores(self, u, v):
        d = self.distance_fn.pairwise(u, v)
        return torch.sigmoid(2.0 - d) if self.head is not None else self.distance_fn.to_score(d)

    def similarity(self, x1, x2):
        return self.score_embeddings(self.embed(x1), self.embed(x2))

    def set_threshold(self, value, **info):
        self.threshold = float(value)
        self.threshold_info = {"value": float(value), **info}
        return self


@pytest.fixture
def stand_in():
    return StandInModel()


@pytest.fixture
def stand_in_cls():
    """The stand-in class itself, for tests that need a variant (e.g. with a head)."""
    return StandInModel
