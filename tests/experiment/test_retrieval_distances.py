"""Retrieval after training ranks by the model's own distance, for every registered distance.

The reference is a plain loop over the distance's pairwise scores. The embeddings are chosen so that
the registered distances rank them differently (checked below), so a retrieval that ranks by
another distance than the model's (as euclidean once stood in for manhattan) fails here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from siamkit import SiameseNetwork
from siamkit.config.schema import EvaluationConfig
from siamkit.distances import get_distance
from siamkit.encoders import create_encoder
from siamkit.evaluation.model_evaluation import retrieval
from siamkit.registry import DISTANCES

KS = (1, 3)


def _embeddings(n: int = 90, dim: int = 3, n_classes: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, n)
    centres = rng.normal(size=(n_classes, dim))
    # Lengths that vary row by row and axes of different scales: cosine, euclidean and manhattan
    # neighbours differ.
    x = (centres[labels] + rng.normal(size=(n, dim))) * rng.uniform(0.2, 3.0, (n, 1))
    return (x * np.array([1.0, 4.0, 0.3])[:dim]).astype(np.float32), labels


def _reference(name: str, x: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Recall@K and MAP@R of each row among the others, ranked by the distance's scores."""
    scores = get_distance(name).pairwise_scores(torch.from_numpy(x).double()).numpy()
    np.fill_diagonal(scores, -np.inf)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :-1]
    rel = labels[order] == labels[:, None]
    big_r = (labels[:, None] == labels[None, :]).sum(axis=1) - 1
    keep = big_r > 0
    rel, big_r = rel[keep], big_r[keep]
    out = {f"recall_at_{k}": float(rel[:, :k].any(axis=1).mean()) for k in KS}
    hits = rel & (np.arange(rel.shape[1]) < big_r[:, None])
    precision = np.cumsum(hits, axis=1) / np.arange(1, rel.shape[1] + 1)
    out["map_at_r"] = float(((precision * hits).sum(axis=1) / big_r).mean())
    return out


def _model(name: str) -> SiameseNetwork:
    encoder = create_encoder("mlp", input_dim=2, embedding_dim=3, hidden_dims=[4])
    return SiameseNetwork(encoder, distance=name)


def test_the_embeddings_tell_the_distances_apart():
    x, labels = _embeddings()
    maps = {name: _reference(name, x, labels)["map_at_r"] for name in DISTANCES.names()}
    # Ranking by squared euclidean is ranking by euclidean, and cosine similarity by cosine.
    assert maps["squared_euclidean"] == maps["euclidean"]
    assert maps["cosine_similarity"] == maps["cosine"]
    assert len({maps["euclidean"], maps["manhattan"], maps["cosine"]}) == 3


@pytest.mark.parametrize("name", DISTANCES.names())
def test_retrieval_ranks_by_the_models_distance(name):
    x, labels = _embeddings()
    got = retrieval(_model(name), torch.from_numpy(x), labels, None, None,
                    EvaluationConfig(retrieval_ks=list(KS)))
    assert got["distance"] == name
    for key, value in _reference(name, x, labels).items():
        assert got[key] == pytest.approx(value, abs=1e-9), key
