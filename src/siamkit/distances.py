"""Distances and similarities between embeddings, in a paired and a pairwise form.

Paired functions take ``a, b`` of shape ``[B, D]`` and return ``[B]`` (row i of ``a`` against row i
of ``b``); pairwise functions take ``[B, D]`` and ``[B', D]`` and return ``[B, B']``. Passing ``b=None``
to a pairwise function compares ``a`` with itself, and then the diagonal is exactly zero distance (or
exactly the self-similarity) rather than whatever rounding leaves there.

Polarity: a *distance* is small for similar inputs, a *similarity* is large. A :class:`Distance`
object carries everything its values mean, so that no caller re-interprets a distance's name: how
they become a *score* where higher always means more similar (siamkit's score convention:
``score = -distance`` for euclidean and manhattan, ``score = cosine similarity`` for cosine) and
back, the name of those scores in outputs and files (``score_kind``), and how to index embeddings
with FAISS to find the best-scoring ones. Each distance registers itself in
:data:`siamkit.registry.DISTANCES` where it is defined; :func:`get_distance` looks one up by name.

Euclidean distances use a square root whose gradient stays finite where two embeddings coincide:
``sqrt`` has an infinite derivative at 0, which would turn one duplicate input into NaN weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .errors import ConfigError
from .registry import DISTANCES, did_you_mean

_EPS = 1e-12


def _safe_sqrt(squared: Tensor) -> Tensor:
    """``sqrt`` with a zero (not infinite or NaN) gradient where the argument is zero."""
    squared = squared.clamp_min(0.0)
    positive = squared > 0
    root = torch.sqrt(torch.where(positive, squared, torch.ones_like(squared)))
    return torch.where(positive, root, torch.zeros_like(squared))


def _check_paired(a: Tensor, b: Tensor) -> None:
    if a.dim() != 2 or b.dim() != 2 or a.shape != b.shape:
        raise ValueError(
            f"paired distance needs two [B, D] tensors of the same shape, got {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )


def _check_pairwise(a: Tensor, b: Tensor) -> None:
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"pairwise distance needs [B, D] and [B', D] tensors, got {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )


# ---- paired forms: [B, D] x [B, D] -> [B] -------------------------------------------------------


def squared_euclidean_distance(a: Tensor, b: Tensor) -> Tensor:
    _check_paired(a, b)
    return (a - b).pow(2).sum(dim=1)


def euclidean_distance(a: Tensor, b: Tensor) -> Tensor:
    return _safe_sqrt(squared_euclidean_distance(a, b))


def manhattan_distance(a: Tensor, b: Tensor) -> Tensor:
    _check_paired(a, b)
    return (a - b).abs().sum(dim=1)


def cosine_similarity(a: Tensor, b: Tensor) -> Tensor:
    _check_paired(a, b)
    return (F.normalize(a, dim=1, eps=_EPS) * F.normalize(b, dim=1, eps=_EPS)).sum(dim=1)


def cosine_distance(a: Tensor, b: Tensor) -> Tensor:
    return 1.0 - cosine_similarity(a, b)


# ---- pairwise forms: [B, D] x [B', D] -> [B, B'] --------------------------------------------------


def pairwise_squared_euclidean_distance(a: Tensor, b: Tensor | None = None) -> Tensor:
    same = b is None or b is a
    b = a if b is None else b
    _check_pairwise(a, b)
    # |a|^2 + |b|^2 - 2ab: one matrix product instead of a [B, B', D] difference tensor.
    sq = a.pow(2).sum(1, keepdim=True) + b.pow(2).sum(1).unsqueeze(0) - 2.0 * (a @ b.T)
    sq = sq.clamp_min(0.0)
    if same:
        sq = sq * (1.0 - torch.eye(sq.shape[0], dtype=sq.dtype, device=sq.device))
    return sq


def pairwise_euclidean_distance(a: Tensor, b: Tensor | None = None) -> Tensor:
    return _safe_sqrt(pairwise_squared_euclidean_distance(a, b))


def pairwise_manhattan_distance(a: Tensor, b: Tensor | None = None) -> Tensor:
    b = a if b is None else b
    _check_pairwise(a, b)
    return torch.cdist(a, b, p=1.0)


def pairwise_cosine_similarity(a: Tensor, b: Tensor | None = None) -> Tensor:
    an = F.normalize(a, dim=1, eps=_EPS)
    bn = an if (b is None or b is a) else F.normalize(b, dim=1, eps=_EPS)
    _check_pairwise(an, bn)
    return an @ bn.T


def pairwise_cosine_distance(a: Tensor, b: Tensor | None = None) -> Tensor:
    return 1.0 - pairwise_cosine_similarity(a, b)


# ---- named distances: what their values mean -----------------------------------------------------

IndexMetric = Literal["ip", "l2", "l1"]
INDEX_METRICS: tuple[str, ...] = ("ip", "l2", "l1")


def faiss_metric(index_metric: str) -> int:
    """FAISS's constant for an index metric named as :attr:`Distance.index_metric` names it."""
    import faiss  # imported here: keeps `import siamkit` fast

    return {"ip": faiss.METRIC_INNER_PRODUCT, "l2": faiss.METRIC_L2,
            "l1": faiss.METRIC_L1}[index_metric]


class ScoreScale(Protocol):
    """What a model's scores mean, as told by its :class:`Distance` or its head
    (:class:`siamkit.heads.HeadScores`): the name of its scores in outputs and files, the same in
    words, how to read a score back as a dissimilarity, and how to index embeddings to find the
    best-scoring references (a FAISS metric, on L2-normalised vectors or not)."""

    score_kind: str
    score_description: str
    index_metric: str
    index_normalized: bool

    def distance_from_score(self, scores: Any) -> Any: ...


@dataclass(frozen=True)
class Distance:
    """A named distance: its paired and pairwise forms and everything its values mean.

    Args:
        name: its registered name ("euclidean", ...), the one a model's ``config.json`` keeps.
        paired, pairwise: the two forms (see the module docstring).
        is_similarity: True when larger values mean more similar (cosine similarity); False for
            a distance (smaller = more similar).
        score_kind: the name of its scores in outputs and files ("negative_euclidean",
            "cosine_similarity"); part of siamkit's file formats, never to be renamed.
        score_description: the same in words, for people ("minus the euclidean distance").
        score_offset: score = ``score_offset - distance`` (0 for ``-d``; 1 for cosine, whose
            ``1 - (1 - cos)`` is the cosine similarity). Read back, ``score_offset - score`` is a
            dissimilarity, also for a similarity (1 - cosine similarity).
        index_metric: the FAISS metric that finds the best-scoring references: "l2" (FAISS returns
            squared euclidean distances), "l1" (manhattan distances; FAISS's ``METRIC_L1``, since
            an L2 index ranks manhattan neighbours wrongly) or "ip" (inner products).
        index_normalized: whether embeddings are L2-normalised before indexing ("ip" on unit
            vectors gives cosine similarities).
        index_root: whether this distance is the square root of the index's values (euclidean on
            an "l2" index).
        summary: one line for listings (``siamkit --help``, the docs table).
    """

    name: str
    paired: Callable[[Tensor, Tensor], Tensor]
    pairwise: Callable[..., Tensor]
    is_similarity: bool = False
    score_kind: str = ""
    score_description: str = ""
    score_offset: float = 0.0
    index_metric: IndexMetric = "l2"
    index_normalized: bool = False
    index_root: bool = False
    summary: str = ""

    def __post_init__(self) -> None:
        if not self.score_kind:
            raise ConfigError(f"distance {self.name!r}: give its score_kind, the name of its "
                              "scores in outputs and files")
        if self.index_metric not in INDEX_METRICS:
            raise ConfigError(f"distance {self.name!r}: index_metric must be one of "
                              f"{', '.join(INDEX_METRICS)}, got {self.index_metric!r}")

    def to_score(self, values: Tensor) -> Tensor:
        """Scores, higher = more similar, from values of this distance (tensors or arrays)."""
        if self.is_similarity:
            return values
        return self.score_offset - values if self.score_offset else -values

    def paired_scores(self, a: Tensor, b: Tensor) -> Tensor:
        """Scores ``[B]`` of row i of ``a`` against row i of ``b``, higher = more similar."""
        return self.to_score(self.paired(a, b))

    def pairwise_scores(self, a: Tensor, b: Tensor | None = None) -> Tensor:
        """Scores ``[B, B']`` of every row of ``a`` against every row of ``b``."""
        return self.to_score(self.pairwise(a, b))

    def distance_from_score(self, scores: Any) -> Any:
        """Scores back to dissimilarities (higher = farther): the distance itself, or for a
        similarity ``1 - similarity``."""
        return self.score_offset - scores if self.score_offset else -scores

    def score_from_index(self, values: np.ndarray) -> np.ndarray:
        """Scores from the values a FAISS index built with :attr:`index_metric` (on normalised
        vectors where :attr:`index_normalized`) returns."""
        if self.index_metric == "ip":
            return values  # inner products of unit vectors: cosine similarities, already scores
        if self.index_root:
            values = np.sqrt(np.maximum(values, 0.0))  # FAISS's L2 values are squared distances
        return self.to_score(values)


def register_distance(distance: Distance, aliases: tuple[str, ...] = ()) -> Distance:
    """Register ``distance`` in :data:`siamkit.registry.DISTANCES` under its name, with its facts
    (``similarity``, ``score_kind``, ``index_metric``, ``model_distance``), and return it."""
    DISTANCES.add(distance.name, distance, aliases=aliases, summary=distance.summary,
                  similarity=distance.is_similarity, score_kind=distance.score_kind,
                  index_metric=distance.index_metric,
                  # a model scores with distances; a similarity is for losses and search only
                  model_distance=not distance.is_similarity)
    return distance


EUCLIDEAN = register_distance(Distance(
    "euclidean", euclidean_distance, pairwise_euclidean_distance,
    score_kind="negative_euclidean", score_description="minus the euclidean distance",
    index_metric="l2", index_root=True,
    summary="Euclidean (L2) distance; score = -d"))
SQUARED_EUCLIDEAN = register_distance(Distance(
    "squared_euclidean", squared_euclidean_distance, pairwise_squared_euclidean_distance,
    score_kind="negative_squared_euclidean",
    score_description="minus the squared euclidean distance", index_metric="l2",
    summary="squared euclidean distance; score = -d"))
MANHATTAN = register_distance(Distance(
    "manhattan", manhattan_distance, pairwise_manhattan_distance,
    score_kind="negative_manhattan", score_description="minus the manhattan distance",
    index_metric="l1",
    summary="Manhattan (L1) distance; score = -d"))
COSINE = register_distance(Distance(
    "cosine", cosine_distance, pairwise_cosine_distance,
    score_kind="cosine_similarity", score_description="cosine similarity", score_offset=1.0,
    index_metric="ip", index_normalized=True,
    summary="cosine distance 1 - cos(u, v); score = cosine similarity"))
COSINE_SIMILARITY = register_distance(Distance(
    "cosine_similarity", cosine_similarity, pairwise_cosine_similarity, is_similarity=True,
    score_kind="cosine_similarity", score_description="cosine similarity", score_offset=1.0,
    index_metric="ip", index_normalized=True,
    summary="cosine similarity (larger = more similar), the score itself"))


def get_distance(name: str | Distance) -> Distance:
    """The registered :class:`Distance` called ``name`` ("euclidean", "squared_euclidean",
    "cosine", "manhattan", "cosine_similarity"); a :class:`Distance` is returned as it is."""
    if isinstance(name, Distance):
        return name
    if name not in DISTANCES:
        raise ConfigError(f"distance: unknown name {name!r}{did_you_mean(name, DISTANCES.names(True))}"
                          f"; choose one of {', '.join(DISTANCES.names())}")
    return DISTANCES.get(name)
