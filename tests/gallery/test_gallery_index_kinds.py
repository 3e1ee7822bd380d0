"""Approximate indexes (IVF, HNSW) give exact answers on small galleries searched widely, survive
removal and a save/load, and IVF switches from exact search to trained cells once it has data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gallery_helpers import random_vectors, vector_model

from siamkit.gallery import Gallery


def build(kind, path=None, distance="euclidean", **kw):
    g = Gallery(vector_model(distance), path, index=kind, **kw)
    vecs = random_vectors(300, seed=5)
    for i in range(100):
        g.enroll(f"p{i}", vecs[3 * i:3 * i + 3])
    return g, vecs


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
@pytest.mark.parametrize("kind,kw",
                         [("ivf", {"nlist": 4, "nprobe": 4}), ("hnsw", {"ef_search": 400})])
def test_approximate_kinds_agree_with_flat_when_searching_widely(kind, kw, distance):
    flat, vecs = build("flat", distance=distance)
    approx, _ = build(kind, distance=distance, **kw)
    probes = vecs[::7] + 0.05
    a, b = flat.identify(probes, k=5), approx.identify(probes, k=5)
    assert a.candidate_identities.tolist() == b.candidate_identities.tolist()
    np.testing.assert_allclose(a.candidate_scores, b.candidate_scores, rtol=1e-4, atol=1e-5)


def test_ivf_searches_exactly_until_it_can_train_then_uses_cells():
    g = Gallery(vector_model(), index="ivf", nlist=4)
    vecs = random_vectors(200, seed=2)
    g.enroll("a", vecs[:100])
    assert not g._index.is_ivf  # 100 < 39 * 4 training points
    g.enroll("b", vecs[100:])
    assert g._index.is_ivf and g._index.index.nlist == 4 and g.n_references == 200


@pytest.mark.parametrize("kind,kw", [("ivf", {"nlist": 4, "nprobe": 4}), ("hnsw", {})])
def test_remove_and_reload_with_approximate_kinds(tmp_path, kind, kw):
    g, vecs = build(kind, tmp_path / "g", **kw)
    assert g.remove("p10") == 3
    before = g.identify(vecs[30:33], k=3).candidate_identities.tolist()
    assert all("p10" not in row for row in before)
    g.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g2 = Gallery.load(tmp_path / "g", vector_model(), **kw)  # kind remembered from the folder
    assert g2.index_kind_ == kind and g2.n_references == 297
    assert g2.identify(vecs[30:33], k=3).candidate_identities.tolist() == before


def test_a_new_kind_for_an_existing_gallery_rebuilds_its_index(tmp_path):
    g, vecs = build("flat", tmp_path / "g")
    want = g.identify(vecs[:5], k=2).candidate_identities.tolist()
    g.close()
    with pytest.warns(Warning, match="kind"):
        g2 = Gallery(vector_model(), tmp_path / "g", index="hnsw")
    assert g2.index_kind_ == "hnsw"
    assert g2.identify(vecs[:5], k=2).candidate_identities.tolist() == want
