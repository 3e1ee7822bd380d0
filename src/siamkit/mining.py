"""Semantic search and paraphrase mining over embeddings, in chunks so that memory stays bounded.

The two everyday uses of a trained encoder beyond "are these two the same?", after
sentence-transformers' ``util.semantic_search`` and ``util.paraphrase_mining`` (Reimers &
Gurevych 2019, "Sentence-BERT", arXiv:1908.10084), for any siamkit model (texts, images, vectors):

* :func:`semantic_search`: the ``top_k`` corpus entries of highest score for each query;
* :func:`paraphrase_mining`: the pairs of highest score within one corpus (near duplicates).

Scores come from ``score_fn(a, b) -> [len(a), len(b)]``, higher = more similar (a model's
:meth:`~siamkit.SiameseNetwork.pairwise_scores`: minus the distance, a cosine, or the head's
probability). The score matrix is only ever made one ``query_chunk x corpus_chunk`` block at a
time, and at most ``top_k`` candidates per row are kept (mining: at most ``2 * max_pairs`` pairs),
so memory is bounded however large the corpus. Mining keeps, per entry, its
``top_k`` best partners (as sentence-transformers does): with ``top_k >= n - 1`` it is exact, every
pair above ``threshold`` up to ``max_pairs``. Equal scores are ordered by index, so results are
deterministic.
"""

from __future__ import annotations

import heapq
from typing import Callable, Iterator

import torch
from torch import Tensor

from .errors import ConfigError

ScoreFn = Callable[[Tensor, Tensor], Tensor]


def _check(name: str, value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name}: expected a positive integer, got {value!r}")
    return value


def _as_matrix(x: Tensor, what: str) -> Tensor:
    x = torch.as_tensor(x)
    if x.dim() != 2:
        raise ConfigError(f"{what}: expected embeddings [N, D], got shape {tuple(x.shape)}")
    return x


def semantic_search(queries: Tensor, corpus: Tensor, score_fn: ScoreFn, top_k: int = 10,
                    query_chunk: int = 100, corpus_chunk: int = 50_000
                    ) -> list[list[tuple[int, float]]]:
    """For each query row, ``[(corpus index, score), ...]``: its ``top_k`` best corpus entries,
    highest score first (fewer when the corpus is smaller)."""
    queries, corpus = _as_matrix(queries, "queries"), _as_matrix(corpus, "corpus")
    results: list[list[tuple[int, float]]] = []
    for _, index, scores in _blocks(queries, corpus, score_fn, top_k, query_chunk, corpus_chunk):
        results += [list(zip(ri.tolist(), rs.tolist())) for ri, rs in zip(index, scores)]
    return results


def _blocks(queries: Tensor, corpus: Tensor, score_fn: ScoreFn, top_k: int, query_chunk: int,
            corpus_chunk: int) -> Iterator[tuple[int, Tensor, Tensor]]:
    """``(first query row, corpus indices [q, k], scores [q, k])`` per chunk of queries."""
    top_k, query_chunk = _check("top_k", top_k), _check("query_chunk", query_chunk)
    corpus_chunk = _check("corpus_chunk", corpus_chunk)
    for q0 in range(0, len(queries), query_chunk):
        q = queries[q0:q0 + query_chunk]
        best_s = torch.full((len(q), 0), float("-inf"))
        best_i = torch.zeros((len(q), 0), dtype=torch.long)
        for c0 in range(0, len(corpus), corpus_chunk):
            scores = score_fn(q, corpus[c0:c0 + corpus_chunk]).float().cpu()
            s, i = torch.topk(scores, min(top_k, scores.shape[1]), dim=1)
            # merge with the best so far: one [len(q), 2 * top_k] block at most
            best_s, best_i = _merge(torch.cat([best_s, s], 1), torch.cat([best_i, i + c0], 1),
                                    top_k)
        yield q0, best_i, best_s


def _merge(scores: Tensor, index: Tensor, top_k: int) -> tuple[Tensor, Tensor]:
    """The ``top_k`` best of each row, by score then lower index (a stable order for ties)."""
    order = torch.argsort(index, dim=1)
    scores, index = scores.gather(1, order), index.gather(1, order)
    keep = torch.argsort(scores, dim=1, descending=True, stable=True)[:, :top_k]
    return scores.gather(1, keep), index.gather(1, keep)


def paraphrase_mining(embeddings: Tensor, score_fn: ScoreFn, top_k: int = 100,
                      max_pairs: int = 500_000, threshold: float | None = None,
                      query_chunk: int = 5_000, corpus_chunk: int = 100_000
                      ) -> list[tuple[float, int, int]]:
    """``[(score, i, j), ...]`` with ``i < j``: the pairs of highest score among the rows of
    ``embeddings`` (each row's ``top_k`` best partners are candidates), at most ``max_pairs``,
    only those with ``score >= threshold`` when given; highest score first."""
    emb = _as_matrix(embeddings, "embeddings")
    _check("max_pairs", max_pairs)
    best: dict[tuple[int, int], float] = {}
    for q0, index, scores in _blocks(emb, emb, score_fn, _check("top_k", top_k) + 1,
                                     query_chunk, corpus_chunk):
        for r, (row_i, row_s) in enumerate(zip(index.tolist(), scores.tolist())):
            i = q0 + r
            for j, score in zip(row_i, row_s):
                if i == j or (threshold is not None and score < threshold):
                    continue
                key = (min(i, j), max(i, j))
                # a score function need not be exactly symmetric (float rounding, a head): keep
                # the higher of the two directions, as either alone would have found the pair
                if score > best.get(key, float("-inf")):
                    best[key] = score
        if len(best) > 2 * max_pairs:  # memory stays O(max_pairs): the rest can never make it
            best = dict(_top(best, max_pairs))
    return [(score, i, j) for (i, j), score in _top(best, max_pairs)]


def _top(pairs: dict[tuple[int, int], float], n: int) -> list[tuple[tuple[int, int], float]]:
    """The ``n`` pairs of highest score, ties by lower (i, j)."""
    return heapq.nlargest(n, pairs.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
