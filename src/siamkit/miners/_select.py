"""Index selection shared by the miners and the batch triplet losses (no gradients here).

All functions take a distance matrix ``D`` ``[B, B]`` where smaller = closer, and boolean masks
``pos`` (same class, not self) and ``neg`` (other class) of the same shape. Work over triplets is
done in chunks of anchor-positive pairs, each chunk a ``[c, B]`` slab, so memory stays
``O(B^2 + CHUNK_ELEMENTS)`` instead of the ``O(B^3)`` of a full ``[B, B, B]`` triplet tensor.
"""

from __future__ import annotations

from typing import Callable, Iterator

import torch
from torch import Tensor

#: Upper bound on the elements of one ``[pairs, B]`` slab (16 MiB of float32).
CHUNK_ELEMENTS = 1 << 22


def label_masks(labels: Tensor) -> tuple[Tensor, Tensor]:
    """``(pos, neg)`` boolean ``[B, B]`` masks: same class and not self; other class."""
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    neg = ~same
    same.fill_diagonal_(False)
    return same, neg


def pair_chunks(pos: Tensor, budget: int | None = None) -> Iterator[tuple[Tensor, Tensor]]:
    """Anchor-positive pairs ``(a, p)`` (row-major order) in chunks of at most budget/B pairs
    (``budget`` defaults to :data:`CHUNK_ELEMENTS`)."""
    budget = CHUNK_ELEMENTS if budget is None else budget
    a, p = pos.nonzero(as_tuple=True)
    step = max(1, budget // max(pos.shape[1], 1))
    for start in range(0, a.numel(), step):
        yield a[start : start + step], p[start : start + step]


@torch.no_grad()
def batch_hard(D: Tensor, pos: Tensor, neg: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """For every anchor with a positive and a negative: its farthest positive and closest negative."""
    valid = pos.any(1) & neg.any(1)
    hardest_p = D.masked_fill(~pos, float("-inf")).argmax(1)
    hardest_n = D.masked_fill(~neg, float("inf")).argmin(1)
    a = valid.nonzero().squeeze(1)
    return a, hardest_p[a], hardest_n[a]


@torch.no_grad()
def semihard_per_pair(D: Tensor, pos: Tensor, neg: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """One negative per anchor-positive pair, as in FaceNet's semi-hard loss (Schroff et al. 2015;
    the TensorFlow ``triplet_semihard_loss`` rule): the closest negative farther than the positive,
    or, where there is none, the farthest negative. Pairs whose anchor has no negative are dropped."""
    a_out, p_out, n_out = [], [], []
    for a, p in pair_chunks(pos & neg.any(1, keepdim=True)):
        rows, d_ap = D[a], D[a, p].unsqueeze(1)
        negs = neg[a]
        outside = negs & (rows > d_ap)
        n_outside = rows.masked_fill(~outside, float("inf")).argmin(1)
        n_inside = rows.masked_fill(~negs, float("-inf")).argmax(1)
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
            lo, hi = torch.searchsorted(chosen, torch.tensor([offset, offset + count],
                                                             device=D.device))
            pick = chosen[lo:hi] - offset
            rows, cols = rows[pick], cols[pick]
        offset += count
        out[0].append(a[rows])
        out[1].append(p[rows])
        out[2].append(cols)
    return _cat(out[0], D.device), _cat(out[1], D.device), _cat(out[2], D.device), total


def _cat(parts: list[Tensor], device: torch.device) -> Tensor:
    return torch.cat(parts) if parts else torch.empty(0, dtype=torch.long, device=device)
