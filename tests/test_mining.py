"""Semantic search and paraphrase mining: against a brute-force reference on small data, and
against sentence-transformers' util.semantic_search / paraphrase_mining_embeddings (an oracle
nobody here wrote) on the same embeddings, in chunks smaller than the data."""

from __future__ import annotations

import itertools

import pytest
import torch

from siamkit import paraphrase_mining, semantic_search
from siamkit.distances import pairwise_cosine_similarity, pairwise_euclidean_distance


def neg_euclidean(a, b):
    return -pairwise_euclidean_distance(a, b)


def _emb(n=37, d=5, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("score_fn", [pairwise_cosine_similarity, neg_euclidean])
def test_search_equals_brute_force_in_any_chunking(score_fn):
    q, c = _emb(11, seed=1), _emb(29, seed=2)
    full = score_fn(q, c)
    want = [sorted(range(len(c)), key=lambda j: -full[i, j].item())[:4] for i in range(len(q))]
    for qc, cc in [(100, 100), (3, 7), (1, 1)]:
        got = semantic_search(q, c, score_fn, top_k=4, query_chunk=qc, corpus_chunk=cc)
        assert [[j for j, _ in row] for row in got] == want
        for i, row in enumerate(got):
            assert [s for _, s in row] == pytest.approx([full[i, j].item() for j in want[i]])
    assert len(semantic_search(q, c[:2], score_fn, top_k=5)[0]) == 2  # corpus smaller than k


def test_mining_with_a_large_top_k_is_every_pair_above_the_threshold():
    emb = _emb()
    full = pairwise_cosine_similarity(emb, emb)
    brute = sorted(((full[i, j].item(), i, j) for i, j in itertools.combinations(range(37), 2)
                    if full[i, j] >= 0.5), reverse=True)
    got = paraphrase_mining(emb, pairwise_cosine_similarity, top_k=36, threshold=0.5,
                            query_chunk=5, corpus_chunk=8)
    assert [(i, j) for _, i, j in got] == [(i, j) for _, i, j in brute]
    assert [s for s, _, _ in got] == pytest.approx([s for s, _, _ in brute])
    few = paraphrase_mining(emb, pairwise_cosine_similarity, top_k=36, max_pairs=7,
                            query_chunk=4, corpus_chunk=9)
    assert [(i, j) for _, i, j in few] == [(i, j) for _, i, j in brute[:7]]


def test_identical_rows_are_mined_first_with_ties_in_index_order():
    emb = _emb(6)
    emb[4] = emb[1]
    emb[5] = emb[1]
    got = paraphrase_mining(emb, neg_euclidean, top_k=5)
    assert [(i, j) for _, i, j in got[:3]] == [(1, 4), (1, 5), (4, 5)]
    assert [s for s, _, _ in got[:3]] == pytest.approx([0.0, 0.0, 0.0], abs=2e-3)  # the safe sqrt


st_util = pytest.importorskip("sentence_transformers.util")


@pytest.mark.parametrize("score_fn", [pairwise_cosine_similarity, neg_euclidean])
def test_against_sentence_transformers(score_fn):
    q, c = _emb(13, seed=3), _emb(41, seed=4)
    theirs = st_util.semantic_search(q, c, query_chunk_size=4, corpus_chunk_size=10, top_k=6,
                                     score_function=score_fn)
    ours = semantic_search(q, c, score_fn, top_k=6, query_chunk=4, corpus_chunk=10)
    assert [[j for j, _ in r] for r in ours] == [[h["corpus_id"] for h in r] for r in theirs]
    assert [s for r in ours for _, s in r] == pytest.approx(
        [h["score"] for r in theirs for h in r], abs=1e-6)
    emb = _emb(40, seed=5)
    for top_k, max_pairs in [(3, 1000), (39, 50)]:
        theirs = st_util.paraphrase_mining_embeddings(emb, query_chunk_size=7,
                                                      corpus_chunk_size=11, max_pairs=max_pairs,
                                                      top_k=top_k, score_function=score_fn)
        ours = paraphrase_mining(emb, score_fn, top_k=top_k, max_pairs=max_pairs,
                                 query_chunk=7, corpus_chunk=11)
        if max_pairs >= 1000:  # all candidates: the same set of pairs
            assert {(i, j) for _, i, j in ours} == {(i, j) for _, i, j in theirs}
        else:  # both the best pairs, highest first
            assert [(i, j) for _, i, j in ours][:40] == [(int(i), int(j)) for _, i, j in theirs][:40]
        assert [s for s, _, _ in ours][:40] == pytest.approx([float(s) for s, _, _ in theirs][:40],
                                                             abs=1e-6)
