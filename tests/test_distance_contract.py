"""A contract over every registered distance: what it says its values mean holds.

Its scores rank like its values (higher = more similar), read back as dissimilarities they rank the
other way, and a FAISS index built as it says (metric, normalisation) returns values that it turns
into exactly its own scores."""

from __future__ import annotations

import faiss
import numpy as np
import pytest
import torch

from siamkit.distances import Distance, faiss_metric, get_distance
from siamkit.registry import DISTANCES

NAMES = DISTANCES.names()


def _vectors(seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(9, 5)) * rng.uniform(0.3, 3.0, (9, 1))).astype(np.float32)


@pytest.mark.parametrize("name", NAMES)
def test_registered_under_its_name_with_its_facts(name):
    dist = get_distance(name)
    assert isinstance(dist, Distance) and dist.name == name and DISTANCES.get(name) is dist
    entry = DISTANCES.entry(name)
    assert entry["score_kind"] == dist.score_kind and entry["index_metric"] == dist.index_metric
    assert entry["similarity"] == dist.is_similarity
    assert dist.score_kind and dist.score_description and entry.summary


@pytest.mark.parametrize("name", NAMES)
def test_scores_and_dissimilarities_rank_oppositely(name):
    dist = get_distance(name)
    a = torch.from_numpy(_vectors()).double()
    values, scores = dist.pairwise(a), dist.pairwise_scores(a)
    torch.testing.assert_close(scores, dist.to_score(values))
    torch.testing.assert_close(dist.paired_scores(a, a.flip(0)), torch.diagonal(
        dist.pairwise_scores(a, a.flip(0))))
    back = dist.distance_from_score(scores)
    if not dist.is_similarity:
        torch.testing.assert_close(back, values)  # the distance itself
    # Higher score = more similar = smaller dissimilarity, pair for pair.
    order = torch.argsort(scores.flatten(), descending=True)
    assert bool((back.flatten()[order].diff() >= -1e-9).all())


@pytest.mark.parametrize("name", NAMES)
def test_index_values_become_its_scores(name):
    dist = get_distance(name)
    refs, probes = _vectors(0), _vectors(1)
    if dist.index_normalized:
        refs, probes = refs.copy(), probes.copy()
        faiss.normalize_L2(refs)
        faiss.normalize_L2(probes)
    index = faiss.IndexFlat(refs.shape[1], faiss_metric(dist.index_metric))
    index.add(refs)
    values, ids = index.search(probes, len(refs))
    want = dist.pairwise_scores(torch.from_numpy(_vectors(1)).double(),
                                torch.from_numpy(_vectors(0)).double()).numpy()
    got = dist.score_from_index(values)
    np.testing.assert_allclose(got, np.take_along_axis(want, ids, 1), rtol=1e-4, atol=1e-4)
    assert (np.diff(got, axis=1) <= 1e-6).all()  # the index returns the best scores first


@pytest.mark.parametrize("name", NAMES)
def test_a_model_names_its_scores_as_its_distance_or_head_does(name):
    from siamkit import SiameseNetwork
    from siamkit.encoders import create_encoder

    encoder = create_encoder("mlp", input_dim=3, embedding_dim=2, hidden_dims=[4])
    model = SiameseNetwork(encoder, distance=name)
    assert model.score_scale is get_distance(name)
    assert model.score_kind == get_distance(name).score_kind
    with_head = SiameseNetwork(encoder, distance=name, head="l1_sigmoid")
    assert with_head.score_kind == "probability" and with_head.score_scale.index_metric == "l1"
    assert with_head.score_scale.distance_from_score(0.75) == 0.25
