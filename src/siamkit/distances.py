"""Distances and similarities between embeddings, in a paired and a pairwise form.

Paired functions take ``a, b`` of shape ``[B, D]`` and return ``[B]`` (row i of ``a`` against row i
of ``b``); pairwise functions take ``[B, D]`` and ``[B', D]`` and return ``[B, B']``. Passing ``b=None``
to a pairwise function compares ``a`` with itself, and then the diagonal is exactly zero distance (or
exactly the self-similarity) rather than whatever rounding leaves there.

Polarity: a *distance* is small for similar inputs, a *similarity* is large. :class:`Distance`
objects carry the polarity and turn their values into a *score* where higher always means more similar
(siamkit's score convention): ``score = -distance`` for euclidean and manhattan, ``score = cosine
similarity`` for cosine.

Euclidean distances use a square root whose gradient stays finite where two embeddings coincide:
``sqrt`` has an infinite derivative at 0, which would turn one duplicate input into NaN weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from .errors import ConfigError

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


# ---- named distances with polarity -------------------------------------------------------------


@dataclass(frozen=True)
class Distance:
    """A named distance: paired and pairwise forms, and how to turn values into scores.

    ``is_similarity`` is True when larger values mean more similar (cosine similarity); all distances
    registered by name here are distances (smaller = more similar), and :meth:`to_score` maps them to
    siamkit scores (higher = more similar).
    """

    name: str
    paired: Callable[[Tensor, Tensor], Tensor]
    pairwise: Callable[..., Tensor]
    is_similarity: bool = False

    def to_score(self, values: Tensor) -> Tensor:
        """Scores, higher = more similar, from values of this distance."""
        if self.is_similarity:
            return values
        if self.name == "cosine":
            return 1.0 - values  # cosine similarity, in [-1, 1]
        return -values


DISTANCES: dict[str, Distance] = {
    "euclidean": Distance("euclidean", euclidean_distance, pairwise_euclidean_distance),
    "squared_euclidean": Distance(
        "squared_euclidean", squared_euclidean_distance, pairwise_squared_euclidean_distance
    ),
    "cosine": Distance("cosine", cosine_distance, pairwise_cosine_distance),
    "manhattan": Distance("manhattan", manhattan_distance, pairwise_manhattan_distance),
    "cosine_similarity": Distance(
        "cosine_similarity", cosine_similarity, pairwise_cosine_similarity, is_similarity=True
    ),
}


def get_distance(name: str | Distance) -> Distance:
    """The :class:`Distance` called ``name`` ("euclidean", "squared_euclidean", "cosine",
    "manhattan", "cosine_similarity")."""
    if isinstance(name, Distance):
        return name
    try:
        return DISTANCES[name]
    except KeyError:
        raise ConfigError(
            f"distance: unknown name {name!r}; choose one of {', '.join(sorted(DISTANCES))}"
        ) from None


# Minimal registration into the one registry, so that the config schema validates
# ``[model] distance`` against it; ``model_distance`` marks those a model may score with.
def _register_distances() -> None:
    from .registry import DISTANCES as registry

    for distance in DISTANCES.values():
        registry.add(distance.name, distance, summary="", is_similarity=distance.is_similarity,
                     model_distance=not distance.is_similarity)


_register_distances()
