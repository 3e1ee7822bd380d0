"""Galleries indexed by FAISS factory strings: training once enough vectors are enrolled, nprobe
and efSearch per query, re-ranking against stored vectors, and the float16 / no-vector storage
options. The oracle is FAISS's exact flat search on the same embeddings."""

from __future__ import annotations

import sqlite3
import warnings

import faiss
import numpy as np
import pytest
from gallery_helpers import vector_model

from siamkit import SiamkitWarning
from siamkit.errors import ConfigError, DataError
from siamkit.gallery import Gallery
from siamkit.gallery.persist import DB_FILE, INDEX_FILE

DIM = 8  # embedding size of the models here
PQ = "IVF4,PQ4x4"  # 4 cells, 4 sub-quantisers of 16 centroids: trains from 39 * 16 = 624 vectors


def model(distance="euclidean"):
    return vector_model(distance, embedding_dim=DIM)


def clustered(n, seed=0):
    """Embeddings in 20 tight clusters, so that compressed codes still separate them."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, DIM)).astype(np.float32) * 3
    return (centres[rng.integers(0, 20, n)]
            + 0.3 * rng.standard_normal((n, DIM))).astype(np.float32)


def filled(index, n=1000, path=None, **kw):
    g = Gallery(model(kw.pop("distance", "euclidean")), path, index=index, **kw)
    emb = clustered(n)
    g.enroll_many_embeddings([f"r{i}" for i in range(n)], emb)
    return g, emb


def exact_top(emb, probes, k=1, metric="l2"):
    """FAISS exact search, the oracle: reference names of the k nearest."""
    index = faiss.IndexFlatL2(DIM) if metric == "l2" else faiss.IndexFlatIP(DIM)
    index.add(emb)
    return [[f"r{i}" for i in row] for row in index.search(probes, k)[1]]


def test_a_trainable_index_searches_exactly_until_enough_vectors_then_trains():
    g = Gallery(model(), index=PQ)
    emb = clustered(700)
    g.enroll_many_embeddings([f"r{i}" for i in range(600)], emb[:600])
    assert g.stats()["trained"] is False and g.stats()["training_needs"] == 624
    assert g.stats()["factory"] == "Flat"
    g.enroll_many_embeddings([f"r{i}" for i in range(600, 700)], emb[600:])
    stats = g.stats()
    assert stats["trained"] is True and stats["factory"] == PQ and stats["references"] == 700
    assert isinstance(faiss.downcast_index(g._index.index), faiss.IndexIVFPQ)


def test_training_with_too_few_vectors_says_how_many_are_needed():
    g = Gallery(model(), index=PQ)
    g.enroll_many_embeddings([f"r{i}" for i in range(100)], clustered(100))
    with pytest.raises(DataError, match="at least 624 vectors, 100 are enrolled"):
        g.train()


def test_an_unknown_factory_string_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match="'IVFx,PQ4'"):
        Gallery(model(), index="IVFx,PQ4")
    with pytest.raises(ConfigError, match="IDMap"):
        Gallery(model(), index="IDMap,Flat")


@pytest.mark.parametrize("distance,metric", [("euclidean", "l2"), ("cosine", "ip")])
def test_reranking_every_candidate_gives_exact_search_answers_and_scores(distance, metric):
    flat, emb = filled("flat", distance=distance)
    pq, _ = filled(PQ, distance=distance, nprobe=4, rerank=1000)
    probes = clustered(50, seed=9)
    a, b = flat.identify_embeddings(probes, k=3), pq.identify_embeddings(probes, k=3)
    norm = probes / np.linalg.norm(probes, axis=1, keepdims=True)
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    oracle = (exact_top(emb, probes) if metric == "l2" else exact_top(unit, norm))
    assert [[c] for c in a.candidate_identities[:, 0].tolist()] == oracle
    assert b.candidate_identities.tolist() == a.candidate_identities.tolist()
    np.testing.assert_allclose(b.candidate_scores, a.candidate_scores, rtol=1e-5, atol=1e-5)


def test_without_reranking_a_compressed_index_gives_approximate_scores():
    flat, _ = filled("flat")
    pq, _ = filled(PQ, nprobe=4, rerank=0)
    probes = clustered(50, seed=9)
    a = flat.search_embeddings(probes, k=1)
    b = pq.search_embeddings(probes, k=1)
    approx = np.array([r[0].score for r in b])
    assert not np.allclose(approx, [r[0].score for r in a], atol=1e-4)
    # the same call re-ranked against the stored vectors: exact scores for what it found
    c = pq.search_embeddings(probes, k=1, rerank=1000)
    np.testing.assert_allclose([r[0].score for r in c], [r[0].score for r in a], rtol=1e-5)


def test_nprobe_per_query_reaches_faiss():
    g, emb = filled("IVF16,Flat", n=1000, nprobe=16, rerank=0)
    probes = clustered(200, seed=3)
    oracle = exact_top(emb, probes)
    found = lambda **kw: [[m[0].identity] for m in g.search_embeddings(probes, k=1, **kw)]
    assert found() == oracle  # every cell searched: exact
    assert found(nprobe=1) != oracle  # one cell per query misses some neighbours
    assert found(nprobe=16) == oracle


def test_ef_search_per_query_reaches_faiss():
    g, _ = filled("HNSW8,SQ8", n=300, ef_search=64, rerank=0)
    g.search_embeddings(clustered(2), k=1, ef_search=300)
    assert faiss.downcast_index(g._index.index.index).hnsw.efSearch == 300
    g.search_embeddings(clustered(2), k=1)
    assert faiss.downcast_index(g._index.index.index).hnsw.efSearch == 64
    with pytest.raises(ConfigError, match="nprobe"):
        g.search_embeddings(clustered(2), k=1, nprobe=0)
    with pytest.raises(ConfigError, match="unknown"):
        g.search_embeddings(clustered(2), k=1, n_probe=3)


# 8 bits tell 8-dim embeddings apart poorly: binary needs a longer shortlist at this size.
@pytest.mark.parametrize("index,rerank", [("SQ8", 20), ("HNSW16,SQ8", 20), ("binary", 600)])
def test_compressed_embeddings_rescored_find_the_exact_neighbour(index, rerank):
    flat, emb = filled("flat", distance="cosine")
    g, _ = filled(index, distance="cosine", rerank=rerank)
    probes = clustered(100, seed=4)
    a, b = flat.identify_embeddings(probes, k=1), g.identify_embeddings(probes, k=1)
    agree = np.mean(a.candidate_identities[:, 0] == b.candidate_identities[:, 0])
    assert agree >= 0.95
    same = a.candidate_identities[:, 0] == b.candidate_identities[:, 0]
    np.testing.assert_allclose(b.candidate_scores[same, 0], a.candidate_scores[same, 0],
                               rtol=1e-5)


def test_binary_keeps_one_bit_per_dimension_and_needs_kept_vectors(tmp_path):
    g, _ = filled("binary", distance="cosine")
    assert isinstance(g._index.index, faiss.IndexBinaryIDMap2) and g._index.index.index.d == 8
    with pytest.raises(ConfigError, match="needs vectors="):
        Gallery(model("cosine"), index="binary", vectors="none")


def test_hnsw_sq8_removal_rebuilds_the_graph_keeping_its_codes():
    g, emb = filled("HNSW16,SQ8", n=300)
    assert g.remove("r5") == 1 and g.n_references == 299
    found = [m[0].identity for m in g.search_embeddings(emb[:20], k=1, rerank=299)]
    assert "r5" not in found and found[6:] == [f"r{i}" for i in range(6, 20)]


def test_float16_vectors_take_half_the_bytes_and_score_within_float16_precision(tmp_path):
    flat, _ = filled("flat")
    half, emb = filled("flat", path=tmp_path / "g", vectors="float16", rerank=1000)
    with sqlite3.connect(tmp_path / "g" / DB_FILE) as db:
        assert db.execute("SELECT DISTINCT length(embedding) FROM refs").fetchall() == [(2 * DIM,)]
    probes = clustered(20, seed=5)
    a, b = flat.identify_embeddings(probes, k=1), half.identify_embeddings(probes, k=1)
    np.testing.assert_allclose(b.candidate_scores, a.candidate_scores, rtol=2e-3, atol=2e-3)
    half.close()
    with pytest.raises(ConfigError, match="keeps float16 vectors, not float32"):
        Gallery(model(), tmp_path / "g", vectors="float32")


def test_a_gallery_without_vectors_keeps_only_index_codes_after_saving(tmp_path):
    g, emb = filled(PQ, path=tmp_path / "g", vectors="none", nprobe=4)
    probes = clustered(20, seed=6)
    before = g.identify_embeddings(probes, k=2).candidate_identities.tolist()
    g.close()
    with sqlite3.connect(tmp_path / "g" / DB_FILE) as db:
        assert db.execute("SELECT MAX(length(embedding)) FROM refs").fetchone() == (0,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g2 = Gallery.load(tmp_path / "g", model(), nprobe=4)
    assert g2.vectors_ == "none" and g2.index_kind_ == PQ
    assert g2.identify_embeddings(probes, k=2).candidate_identities.tolist() == before
    with pytest.raises(ConfigError, match="cannot be retrained"):
        g2.train()


def test_a_gallery_without_vectors_loses_no_enrollment_when_the_process_dies(tmp_path):
    g, emb = filled(PQ, path=tmp_path / "g", vectors="none", nprobe=4)
    g.close()
    g = Gallery(model(), tmp_path / "g", nprobe=4)
    late = clustered(3, seed=7) + 10.0
    g.enroll_embeddings("late", late)  # committed (with its vector, until an index holds it) ...
    g.remove("r1")
    del g  # ... and the process dies before saving the index
    with pytest.warns(SiamkitWarning, match="brought the saved index up to date"):
        g2 = Gallery(model(), tmp_path / "g", nprobe=4)
    assert g2.n_references == 1002 and "r1" not in g2
    assert g2.identify_embeddings(late, k=1).candidate_identities[:, 0].tolist() == ["late"] * 3
    g2.close()
    (tmp_path / "g" / INDEX_FILE).unlink()
    with pytest.raises(DataError, match="1002 references cannot be recovered"):
        Gallery(model(), tmp_path / "g")
