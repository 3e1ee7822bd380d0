"""The multiple negatives ranking loss computed in row blocks: never the whole ``[N, N]`` matrix.

Henderson et al. (2017) in-batch softmax, the loss of :class:`MultipleNegativesRankingLoss`, with
its value and its gradients with respect to the embeddings computed ``block_size`` anchors at a
time, for the cached loss of GradCache (Gao et al. 2021, :mod:`.cached_ranking`): there the
encoder's activations are one chunk's, and a full ``[N, N]`` float32 similarity matrix held with its
softmax and its gradient (3 x 64 MiB at N = 4,096) would be most of the step's memory.

For one direction, anchors ``A`` against candidates ``P`` (both ``[N, D]``, already normalised for
cosine), logits ``L = s A P^T``, ``L_I`` the rows of a block ``I``, ``q = softmax(L_I)`` row-wise
(a stable logsumexp) and ``e_I`` the rows of the identity:

    loss      += sum_(i in I) [ logsumexp_j L[i, j] - L[i, i] ] / N
    dA[I]      = s (q P - P[I]) / N
    dP        += s q^T A[I] / N,        dP[I] -= s A[I] / N      (the diagonal's target term)

so at most a ``[block_size, N]`` block (its logits and softmax) is alive at once. ``symmetric``
adds the other direction (``P`` as anchors against ``A``, the transposed matrix) and halves both.
The loss value and the embedding gradients are computed together in one pass and the gradients are
kept (``[N, D]``, small) for the backward: no second pass, and no double backward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from ..errors import ConfigError

# The eps of siamkit.distances' cosine (kept equal: test_blockwise_ranking compares the two).
_EPS = 1e-12


def check_block_size(block_size: int) -> int:
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ConfigError(f"block_size: must be an int >= 1, got {block_size!r}")
    return block_size


def _one_direction(anchors: Tensor, cands: Tensor, scale: float, block_size: int,
                   weight: float, grads: bool) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """``weight`` x the mean cross-entropy of anchor i picking candidate i, and its gradients."""
    n = anchors.shape[0]
    loss = anchors.new_zeros(())
    g_anchors = torch.empty_like(anchors) if grads else None
    g_cands = torch.zeros_like(cands) if grads else None
    coef = weight * scale / n
    for start in range(0, n, block_size):
        rows = slice(start, min(start + block_size, n))
        block = anchors[rows]
        logits = (block @ cands.T).mul_(scale)
        lse = torch.logsumexp(logits, dim=1)
        # row k of the block is anchor start + k: its own candidate sits at column start + k
        loss = loss + (lse - logits.diagonal(offset=start)).sum()
        if grads:
            q = logits.sub_(lse[:, None]).exp_()          # the block's softmax, in place
            g_anchors[rows] = (q @ cands - cands[rows]).mul_(coef)
            g_cands.addmm_(q.T, block, alpha=coef)
            g_cands[rows] -= coef * block
        del logits
    return loss * (weight / n), g_anchors, g_cands


def blockwise_ranking(a: Tensor, p: Tensor, scale: float, symmetric: bool, block_size: int,
                      grads: bool = True) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """The loss of ``MultipleNegativesRankingLoss`` on the (already normalised, for cosine)
    embeddings ``a``, ``p`` ``[N, D]``, N >= 2, and, if ``grads``, its gradients w.r.t. them."""
    weight = 0.5 if symmetric else 1.0
    loss, g_a, g_p = _one_direction(a, p, scale, block_size, weight, grads)
    if symmetric:
        back, g_p2, g_a2 = _one_direction(p, a, scale, block_size, weight, grads)
        loss = loss + back
        if grads:
            g_a += g_a2
            g_p += g_p2
    return loss, g_a, g_p


class _BlockwiseRanking(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a: Tensor, p: Tensor, scale: float, symmetric: bool,
                block_size: int) -> Tensor:
        need = ctx.needs_input_grad[0] or ctx.needs_input_grad[1]
        with torch.no_grad():
            loss, g_a, g_p = blockwise_ranking(a, p, scale, symmetric, block_size, grads=need)
        if need:
            ctx.save_for_backward(g_a, g_p)
        return loss

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        g_a, g_p = ctx.saved_tensors
        return grad_out * g_a, grad_out * g_p, None, None, None


def blockwise_ranking_loss(a: Tensor, p: Tensor, scale: float, symmetric: bool, similarity: str,
                           block_size: int) -> Tensor:
    """The multiple negatives ranking loss of ``a``, ``p`` ``[N, D]`` (N >= 2) with a gradient
    path to both, in ``O(block_size x N)`` memory beyond the ``[N, D]`` embeddings. Cosine
    normalises first (with autograd: its backward is ``[N, D]``), as ``pairwise_cosine_similarity``
    does; the block loop runs in float32 or wider."""
    if similarity == "cosine":
        a, p = F.normalize(a, dim=1, eps=_EPS), F.normalize(p, dim=1, eps=_EPS)
    return _BlockwiseRanking.apply(a, p, float(scale), bool(symmetric), int(block_size))
