"""Retrieval metrics of embeddings: Recall@K, precision@1, R-precision and MAP@R.

Definitions follow Musgrave, Belongie & Lim (2020), "A Metric Learning Reality Check": for a query
with R references of its class, R-precision is the fraction of its R nearest references that are of
its class, and MAP@R is ``(1/R) * sum_{i<=R} P(i) * rel(i)`` (P(i): precision among the i nearest,
rel(i): whether the i-th nearest is of the query's class). Recall@K is the fraction of queries with
at least one reference of their class among the K nearest (as reported by e.g. Song et al. 2016).
Queries whose class has no reference (R = 0) cannot be scored; they are left out of every metric and
counted in ``queries_without_match`` (pytorch-metric-learning does the same).

Neighbours come from an exact FAISS search (Johnson et al. 2019) with the metric the distance names
(:attr:`siamkit.distances.Distance.index_metric`): L2 for euclidean, inner product on L2-normalised
vectors for cosine, L1 for manhattan. Queries are searched in chunks so that the
neighbour lists stay within a fixed memory budget. Neighbours at exactly equal distance are ordered
as FAISS returns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..distances import Distance, faiss_metric, get_distance
from ..errors import ConfigError, DataError
from ._validate import check_class_labels, check_embeddings, to_numpy

_MAX_NEIGHBOURS = 1 << 23  # neighbour ids held at once (64 MiB of int64)


def _same_set(q: Any, r: Any, ql: Any, rl: Any) -> bool:
    if r is None or r is q:
        return True
    qa, ra = to_numpy(q), to_numpy(r)
    return (
        qa.shape == ra.shape
        and np.array_equal(qa, ra)
        and np.array_equal(to_numpy(ql), to_numpy(rl))
    )


def _index(ref: np.ndarray, distance: Distance) -> Any:
    import faiss  # imported here: keeps `import siamkit` fast

    index = faiss.IndexFlat(ref.shape[1], faiss_metric(distance.index_metric))
    index.add(ref)
    return index


def _distance(distance: str | Distance) -> Distance:
    # By name only the two distances this function always took; any Distance object ranks by its
    # own metric (a model's ``distance_fn``, or get_distance("manhattan")).
    if isinstance(distance, Distance):
        return distance
    if distance not in ("euclidean", "cosine"):
        raise ConfigError(f"distance: must be 'euclidean', 'cosine' or a siamkit Distance "
                          f"(e.g. siamkit.distances.get_distance('manhattan')), got {distance!r}")
    return get_distance(distance)


def _normalise(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12))


def retrieval_metrics(
    query_emb: Any,
    query_labels: Any,
    ref_emb: Any = None,
    ref_labels: Any = None,
    ks: Sequence[int] = (1, 5),
    distance: str | Distance = "euclidean",
    exclude_self: bool | str | None = None,
    at_r: bool = True,
) -> dict[str, Any]:
    """Retrieval metrics of ``query_emb [Q, D]`` against ``ref_emb [N, D]`` (class labels each).

    ``ref_emb=None`` means the query set is its own reference set. ``exclude_self``: True when row i
    of the query set is row i of the reference set (each query is then removed from its own
    references); None or "auto" decides it: True when the reference is the same object as the query,
    or equal to it (same embeddings and labels). Returns ``recall_at_{k}`` for each k in ``ks``,
    ``precision_at_1``, ``r_precision``, ``map_at_r``, and the counts behind them. R-precision and
    MAP@R need the R nearest references of every query (R can be thousands); ``at_r=False`` skips
    them and searches only ``max(ks)`` neighbours, for Recall@K on large sets. ``distance``:
    "euclidean", "cosine", or a :class:`~siamkit.distances.Distance` (any registered one, e.g. a
    model's ``distance_fn``), whose index metric ranks the references.
    """
    dist = _distance(distance)
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise ConfigError(f"ks: need positive integers, got {ks!r}")
    if exclude_self is None or exclude_self == "auto":
        exclude_self = _same_set(query_emb, ref_emb, query_labels, ref_labels)
    elif not isinstance(exclude_self, bool):
        raise ConfigError(
            f"exclude_self: must be True, False, None or 'auto', got {exclude_self!r}"
        )
    if ref_emb is None:
        ref_emb, ref_labels = query_emb, query_labels
    q = check_embeddings(query_emb, "query_emb")
    r = check_embeddings(ref_emb, "ref_emb")
    if q.shape[1] != r.shape[1]:
        raise DataError(f"query_emb and ref_emb: dimensions differ ({q.shape[1]} and {r.shape[1]})")
    ql = check_class_labels(query_labels, len(q), "query_labels", "query_emb")
    rl = check_class_labels(ref_labels, len(r), "ref_labels", "ref_emb")
    if exclude_self and len(q) > len(r):
        raise DataError(
            "exclude_self: query row i must be reference row i, but there are more "
            f"queries ({len(q)}) than references ({len(r)})"
        )
    classes, counts = np.unique(rl, return_counts=True)
    pos = np.clip(np.searchsorted(classes, ql), 0, len(classes) - 1)
    big_r = np.where(classes[pos] == ql, counts[pos], 0) - int(exclude_self)
    scored = np.flatnonzero(big_r > 0)
    if len(scored) == 0:
        raise DataError("query_labels: no query has a reference of its class")
    available = len(r) - int(exclude_self)
    if ks[-1] > available:
        raise ConfigError(f"ks: {ks[-1]} exceeds the {available} references a query can retrieve")
    k = min(max(int(big_r.max()), ks[-1]), available) if at_r else ks[-1]
    if dist.index_normalized:
        q, r = _normalise(q), _normalise(r)
    index = _index(r, dist)
    names = [f"recall_at_{k_}" for k_ in ks] + ["precision_at_1"]
    names += ["r_precision", "map_at_r"] if at_r else []
    sums = dict.fromkeys(names, 0.0)
    step = max(1, _MAX_NEIGHBOURS // (k + 1))
    for start in range(0, len(scored), step):
        rows = scored[start : start + step]
        _, ids = index.search(q[rows], k + int(exclude_self))
        if exclude_self:
            ids = _drop_self(ids, rows)
        for name, value in _sums(rl[ids] == ql[rows, None], big_r[rows], ks, at_r).items():
            sums[name] += value
    out: dict[str, Any] = {name: total / len(scored) for name, total in sums.items()}
    out.update(
        n_queries=len(q),
        n_references=len(r),
        queries_without_match=int(len(q) - len(scored)),
        exclude_self=bool(exclude_self),
        distance=dist.name,
        k_searched=int(k),
    )
    return out


def _sums(rel: np.ndarray, big_r: np.ndarray, ks: list[int], at_r: bool) -> dict[str, float]:
    """Per-metric sums over the queries of one chunk; ``rel[i, j]``: whether the j-th neighbour
    of query i is of its class, ``big_r[i]``: how many references of its class there are."""
    out = {f"recall_at_{k}": float(rel[:, :k].any(axis=1).sum()) for k in ks}
    out["precision_at_1"] = float(rel[:, 0].sum())
    if at_r:
        hits = rel & (np.arange(rel.shape[1])[None, :] < big_r[:, None])
        out["r_precision"] = float((hits.sum(axis=1) / big_r).sum())
        precision_at_i = np.cumsum(hits, axis=1) / np.arange(1, rel.shape[1] + 1)
        out["map_at_r"] = float(((precision_at_i * hits).sum(axis=1) / big_r).sum())
    return out


def _drop_self(ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Remove each query's own row from its neighbours (or the last one if it is not there,
    which happens only among exact duplicates), leaving ``k`` per row."""
    is_self = ids == rows[:, None]
    missing = ~is_self.any(axis=1)
    is_self[missing, -1] = True
    return ids[~is_self].reshape(len(ids), ids.shape[1] - 1)
