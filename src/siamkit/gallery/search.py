"""How a gallery answers probes: FAISS search, head rescoring, re-ranking, ranking identities.

Scores come out on the model's scale, higher = more similar. The model's distance says which FAISS
metric to index with and how the index's values become its scores (the inner product of normalised
vectors is the cosine similarity; FAISS's L2 values are squared euclidean distances; manhattan
uses FAISS's L1 metric). A model with a head names the metric that shortlists for it (the
L1-sigmoid head is a weighted L1 distance, Koch et al. 2015, so an L1 index shortlists well), and
the head's match probability is computed on that shortlist. A compressed index's candidates are
re-ranked the same way, by the distance's exact score on the stored vectors.

The functions take the :class:`~siamkit.gallery.Gallery` and must be called under its lock.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._ranking import first_per_group
from .results import Identifications, Match

_MAX_OVERFETCH = 8  # references fetched per wanted identity before widening row by row
_CHUNK = 65536  # (probe, reference) pairs scored by a head at once


def metric_for(model: Any) -> tuple[str, bool]:
    """(FAISS metric, whether results are rescored by the model's head) for a model."""
    return model.score_scale.index_metric, model.head is not None


def references(gallery: Any, emb: np.ndarray, m: int,
               options: dict) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ids ``[B, m]`` of the best references per probe, best first (id -1: empty).
    ``options``: nprobe, ef_search and rerank (candidates rescored exactly, 0 = none)."""
    rerank = options["rerank"]
    fetch = min(gallery._index.ntotal, max(m, rerank))
    values, ids = gallery._index.search(emb, fetch, options["nprobe"], options["ef_search"])
    if gallery._rescore or rerank:
        # The head's match probability, or the distance's exact score, on kept vectors.
        scores = _exact_scores(gallery.model, gallery._vectors_of, emb, ids)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :m]
        scores, ids = np.take_along_axis(scores, order, 1), np.take_along_axis(ids, order, 1)
    else:
        scores = gallery.model.distance_fn.score_from_index(values)
    return np.where(ids >= 0, scores, -np.inf), ids


def _exact_scores(model: Any, vectors_of: Any, emb: np.ndarray, ids: np.ndarray) -> np.ndarray:
    valid = ids >= 0
    vecs = torch.from_numpy(vectors_of(ids[valid]))
    probes = torch.from_numpy(np.repeat(emb, valid.sum(axis=1), axis=0))
    out = np.full(ids.shape, -np.inf, dtype=np.float32)
    parts = []
    with torch.no_grad():
        for start in range(0, len(vecs), _CHUNK):
            u = probes[start:start + _CHUNK].to(model.device)
            v = vecs[start:start + _CHUNK].to(model.device)
            parts.append(model.score_embeddings(u, v).float().cpu().numpy())
    out[valid] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return out


def identify(gallery: Any, emb: np.ndarray, k: int, threshold: float | None,
             options: dict) -> Identifications:
    """The ``k`` best identities per probe, each scored by its best reference."""
    n, b = gallery._index.ntotal, len(emb)
    members = gallery._members
    width = min(k, len(members))
    names = np.full((b, width), None, dtype=object)
    scores = np.full((b, width), np.nan)
    refs = np.full((b, width), -1, dtype=np.int64)
    if n == 0 or width == 0:
        return Identifications(names, scores, refs, threshold)
    # k identities of at most r references each lie within the best k * r references.
    m = min(n, k * min(members.max_references(), _MAX_OVERFETCH))
    todo = np.arange(b)
    while len(todo):
        if gallery._rescore:
            m = min(n, max(m, gallery.shortlist))
        s, ids = references(gallery, emb[todo], m, options)
        rows, cols, slot, counts = first_per_group(members.groups(ids), k)
        target = todo[rows]
        names[target, slot] = members.names(ids[rows, cols])
        scores[target, slot] = s[rows, cols]
        refs[target, slot] = ids[rows, cols]
        # Rows with fewer than k identities among their m references: search them again, wider.
        todo = todo[(counts < width) & (m < n)]
        m = min(n, m * 4)
    return Identifications(names, scores, refs, threshold)


def matches(gallery: Any, emb: np.ndarray, k: int, options: dict) -> list[list[Match]]:
    """The ``k`` best references per probe, with their metadata."""
    n = gallery._index.ntotal
    if n == 0:
        return [[] for _ in range(len(emb))]
    scores, ids = references(gallery, emb,
                             min(n, max(k, gallery.shortlist) if gallery._rescore else k),
                             options)
    scores, ids = scores[:, :k], ids[:, :k]
    meta = gallery._store.references(ids[ids >= 0])
    name_of = gallery._members.names(ids)
    return [[Match(int(i), str(name), float(s), meta.get(int(i), {}))
             for s, i, name in zip(srow, irow, nrow) if i >= 0]
            for srow, irow, nrow in zip(scores, ids, name_of)]
