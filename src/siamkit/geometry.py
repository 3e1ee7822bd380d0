"""In-batch geometry shared by the losses, the miners and offline triplet mining (no gradients).

What every part that picks (anchor, positive, negative) triplets from a batch needs, in one place:
the check of a labelled batch, the positive/negative masks of its labels, its distance matrix, and
the selection rules (hardest positive, hardest negative, semi-hard negative, every triplet passing a
test). Labels are class ids: equal id = same class (label 1 = same for the pair).

The selection functions take a distance matrix ``D`` ``[B, B]`` (or ``[c, B]`` rows of one) where
smaller = closer, and boolean masks ``pos`` (same class, not self) and ``neg`` (other class) of the
same shape. Work over triplets is done in chunks of anchor-positive pairs, each chunk a ``[c, B]``
slab, so memory stays ``O(B^2 + CHUNK_ELEMENTS)`` instead of the ``O(B^3)`` of a full ``[B, B, B]``
triplet tensor. Hermans, Beyer & Leibe (2017) for batch-hard; Schroff et al. (2015) for semi-hard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import Tensor

from .distances import Distance, get_distance
from .errors import DataError

#: Upper bound on the elements of one ``[pairs, B]`` slab (4 MiB of float32).
CHUNK_ELEMENTS = 1 << 20


# ---- checks of a batch ----------------------------------------------------------------------------


def check_embeddings(x: Tensor, name: str = "embeddings") -> None:
    """DataError unless ``x`` is a non-empty float tensor ``[B, D]``."""
    if not isinstance(x, Tensor) or x.dim() != 2 or not x.is_floating_point():
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise DataError(f"{name}: expected a float tensor of shape [B, D], got {shape}")
    if x.shape[0] == 0:
        raise DataError(f"{name}: empty batch (B = 0)")


def check_vector(x: Tensor, batch: int | None, name: str) -> Tensor:
    """``x`` as a 1-D tensor of length ``batch`` (any length if None; ``[B, 1]`` is accepted)."""
    want = "[B]" if batch is None else f"[{batch}]"
    if not isinstance(x, Tensor):
        raise DataError(f"{name}: expected a tensor of shape {want}, got {type(x).__name__}")
    if x.dim() == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.dim() != 1 or (batch is not None and x.shape[0] != batch):
        raise DataError(f"{name}: expected shape {want}, got {tuple(x.shape)}")
    return x


def check_labelled(embeddings: Tensor, labels: Tensor) -> Tensor:
    """Validate an ``(embeddings [B, D], labels [B])`` batch; return labels as a 1-D tensor."""
    check_embeddings(embeddings)
    labels = check_vector(labels, embeddings.shape[0], "labels")
    if labels.is_floating_point() and not torch.equal(labels, labels.round()):
        raise DataError("labels: class ids must be whole numbers (equal id = same class)")
    return labels.to(embeddings.device)


# ---- masks and distances --------------------------------------------------------------------------


def label_masks(labels: Tensor) -> tuple[Tensor, Tensor]:
    """``(pos, neg)`` boolean ``[B, B]`` masks: same class and not self; other class."""
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    neg = ~same
    same.fill_diagonal_(False)
    return same, neg


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


def reference_masks(labels: Tensor, ref_labels: Tensor, same: Tensor) -> tuple[Tensor, Tensor]:
    """``(pos, neg)`` boolean ``[B, M]`` masks of queries against references: same class and not
    the query's own copy (``same``, True where reference j is query i itself); other class."""
    eq = labels.unsqueeze(1) == ref_labels.unsqueeze(0)
    return eq & ~same, ~eq


@torch.no_grad()
def cross_distance_matrix(dist: Distance, emb: Tensor, refs: Tensor) -> Tensor:
    """``[B, M]`` distances of the rows of ``emb`` to the rows of ``refs``, smaller = closer
    (similarities negated), without gradients."""
    values = dist.pairwise(emb.detach(), refs.detach())
    return values.neg_() if dist.is_similarity else values


# ---- selection rules ------------------------------------------------------------------------------


def hardest_positive(D: Tensor, pos: Tensor) -> Tensor:
    """Per row, the column of the farthest positive (arbitrary for a row without one)."""
    return torch.where(pos, D, float("-inf")).argmax(1)


def hardest_negative(D: Tensor, neg: Tensor) -> Tensor:
    """Per row, the column of the closest negative (arbitrary for a row without one)."""
    return torch.where(neg, D, float("inf")).argmin(1)


def semihard_negative(D: Tensor, d_ap: Tensor, neg: Tensor, fallback: str = "farthest") -> Tensor:
    """Per row, the closest negative farther than the positive (``D > d_ap``, ``d_ap`` ``[rows]``);
    where there is none, the ``"farthest"`` negative (TensorFlow's ``triplet_semihard_loss`` rule)
    or the ``"closest"`` one (the hard negative)."""
    outside = neg & (D > d_ap.unsqueeze(1))
    if fallback == "farthest":
        instead = torch.where(neg, D, float("-inf")).argmax(1)
    else:
        instead = hardest_negative(D, neg)
    return torch.where(outside.any(1), hardest_negative(D, outside), instead)


@torch.no_grad()
def batch_hard(D: Tensor, pos: Tensor, neg: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """For every anchor with a positive and a negative: its farthest positive and its closest
    negative (Hermans et al. 2017)."""
    valid = pos.any(1) & neg.any(1)
    a = valid.nonzero().squeeze(1)
    return a, hardest_positive(D, pos)[a], hardest_negative(D, neg)[a]


@torch.no_grad()
def semihard_per_pair(D: Tensor, pos: Tensor, neg: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """One negative per anchor-positive pair, as in FaceNet's semi-hard loss (Schroff et al. 2015;
    the TensorFlow ``triplet_semihard_loss`` rule): the closest negative farther than the positive,
    or, where there is none, the farthest negative. Pairs whose anchor has no negative are
    dropped."""
    a_out, p_out, n_out = [], [], []
    for a, p in pair_chunks(pos & neg.any(1, keepdim=True)):
        a_out.append(a)
        p_out.append(p)
        n_out.append(semihard_negative(D[a], D[a, p], neg[a]))
    return _cat(a_out, D.device), _cat(p_out, D.device), _cat(n_out, D.device)


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
