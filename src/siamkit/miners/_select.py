"""Index selection shared by the miners and the batch triplet losses (no gradients here).

All functions take a distance matrix ``D`` ``[B, B]`` where smaller = closer, and boolean masks
``pos`` (same class, not self) and ``neg`` (other class) of the same shape. Work over triplets is
done in chunks of anchor-positive pairs, each chunk a ``[c, B]`` slab, so memory stays
``O(B^2 + CHUNK_ELEMENTS)`` instead of the ``O(B^3)`` of a full ``[B, B, B]`` triplet tensor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import Tensor

from ..distances import Distance, get_distance

#: Upper bound on the elements of one ``[pairs, B]`` slab (4 MiB of float32).
CHUNK_ELEMENTS = 1 << 20


@torch.no_grad()
def distance_matrix(dist: Distance, emb: Tensor) -> Tensor:
    """``[B, B]`` distances between the rows of ``emb``, smaller = closer (similarities negated),
    without gradients. The built-in euclidean and cosine forms are computed in place from one
    matrix product, so that selection costs one ``[B, B]`` buffer rather than several."""
    emb = emb.detach()
    if dist is get_distance("euclidean") or dist is get_distance("squared_euclidean"):
        sq_norms = emb.pow(2).sum(1)
        D = emb @ emb.T
        D.mul_(-2).add_(sq_norms.unsqueeze(1)).add_(sq_norms.unsqueeze(0)).clamp_min_(0)
        D.fill_diagonal_(0)
        return D.sqrt_() if dist.name == "euclidean" else D
    if dist is get_distance("cosine") or dist is get_distance("cosine_similarity"):
        unit = F.normalize(emb, dim=1, eps=1e-12)
        D = (unit @ unit.T).neg_()
        return D.add_(1) if dist.name == "cosine" else D
    values = dist.pairwise(emb)
    return values.neg_() if dist.is_similarity else values


def label_masks(labels: Tensor) -> tuple[Tensor, Tensor]:
    """``(pos, neg)`` boolean ``[B, B]`` masks: same class and not self; other class."""
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    neg = ~same
    same.fill_diagonal_(False)
    return same, neg


def pair_chunks(pos: Tensor, budget: int | None = None) -> Iterator[tuple[Tensor, Tensor]]:
    """Anchor-positive pairs ``(a, p)`` of a mask (row-major order) in chunks of at most
    ``budget / B`` pairs."""
    a, p = pos.nonzero(as_tuple=True)
    return chunked(a, p, pos.shape[1], budget)


def chunked(
    a: Tensor, p: Tensor, width: int, budget: int | None = None
) -> Iterator[tuple[Tensor, Tensor]]:
    """``(a, p)`` in chunks of at most ``budget / width`` pairs. ``budget`` defaults to
    :data:`CHUNK_ELEMENTS` (read at call time), and to no more than ``width^2`` so that a slab is
    never larger than the ``[B, B]`` matrix it is cut from."""
    budget = min(CHUNK_ELEMENTS, width * width) if budget is None else budget
    step = max(1, budget // max(width, 1))
    for start in range(0, a.numel(), step):
        yield a[start : start + step], p[start : start + step]


@torch.no_grad()
def batch_hard(D: Tensor, pos: Tensor, neg: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """For every anchor with a positive and a negative: its farthest positive and its closest
    negative (Hermans et al. 2017)."""
    valid = pos.any(1) & neg.any(1)
    hardest_p = torch.where(pos, D, float("-inf")).argmax(1)
    hardest_n = torch.where(neg, D, float("inf")).argmin(1)
    a = valid.nonzero().squeeze(1)
    return a, hardest_p[a], hardest_n[a]


@torch.no_grad()
def semihard_per_pair(D: Tensor, pos: Tensor, neg: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """One negative per anchor-positive pair, as in FaceNet's semi-hard loss (Schroff et al. 2015;
    the TensorFlow ``triplet_semihard_loss`` rule): the closest negative farther than the positive,
    or, where there is none, the farthest negative. Pairs whose anchor has no negative are
    dropped."""
    a_out, p_out, n_out = [], [], []
    for a, p in pair_chunks(pos & neg.any(1, keepdim=True)):
        rows, d_ap = D[a], D[a, p].unsqueeze(1)
        negs = neg[a]
        outside = negs & (rows > d_ap)
        n_outside = torch.where(outside, rows, float("inf")).argmin(1)
        n_inside = torch.where(negs, rows, float("-inf")).argmax(1)
        a_out.append(a)
        p_out.append(p)
        n_out.append(torch.where(outside.any(1), n_outside, n_inside))
    return _cat(a_out, D.device), _cat(p_out, D.device), _cat(n_out, D.device)


@torch.no_grad()
def triplets_where(
    D: Tensor,
    pos: Tensor,
    neg: Tensor,
    keep: Callable[[Tensor], Tensor] | None,
    max_triplets: int | None = None,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor, Tensor, int]:
    """All triplets (a, p, n) with ``keep(D[a, n] - D[a, p])`` true (all valid ones if ``keep`` is
    None), ordered by (a, p, n). Over ``max_triplets``, a uniform random subset of that many (kept
    in order), found in a counting pass first so that memory stays bounded. The fourth value is
    the number of qualifying triplets before the cap."""

    def chunk_mask(a: Tensor, p: Tensor) -> Tensor:
        mask = neg[a]
        if keep is not None:
            mask = mask & keep(D[a] - D[a, p].unsqueeze(1))
        return mask

    counts = [int(chunk_mask(a, p).sum()) for a, p in pair_chunks(pos)]
    total = sum(counts)
    chosen = None
    if max_triplets is not None and total > max_triplets:
        ranks = torch.randperm(total, generator=generator)[:max_triplets]
        chosen = ranks.sort().values.to(D.device)
    out: tuple[list[Tensor], list[Tensor], list[Tensor]] = ([], [], [])
    offset = 0
    for (a, p), count in zip(pair_chunks(pos), counts):
        rows, cols = chunk_mask(a, p).nonzero(as_tuple=True)
        if chosen is not None:
            lo, hi = torch.searchsorted(
                chosen, torch.tensor([offset, offset + count], device=D.device)
            )
            pick = chosen[lo:hi] - offset
            rows, cols = rows[pick], cols[pick]
        offset += count
        out[0].append(a[rows])
        out[1].append(p[rows])
        out[2].append(cols)
    return _cat(out[0], D.device), _cat(out[1], D.device), _cat(out[2], D.device), total


def _cat(parts: list[Tensor], device: torch.device) -> Tensor:
    return torch.cat(parts) if parts else torch.empty(0, dtype=torch.long, device=device)
