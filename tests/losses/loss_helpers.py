"""Helpers for the loss tests: seeded random batches, value-and-gradient comparison."""

from __future__ import annotations

import torch

DTYPES = [torch.float32, torch.float64]
BATCHES = [2, 7, 16, 48]


def tolerance(dtype: torch.dtype) -> dict:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-9, "atol": 1e-11}


def labelled_batch(batch: int, dtype: torch.dtype, seed: int, dim: int = 6, classes: int = 4):
    """Random embeddings (requiring grad) and class ids with at least one repeated class."""
    gen = torch.Generator().manual_seed(seed)
    emb = torch.randn(batch, dim, generator=gen, dtype=dtype).requires_grad_()
    labels = torch.randint(0, max(2, min(classes, batch - 1)), (batch,), generator=gen)
    return emb, labels


def value_and_grad(fn, *leaves):
    """Loss value and gradients of ``fn(*leaves)`` with respect to each leaf."""
    leaves = [x.detach().clone().requires_grad_() for x in leaves]
    loss = fn(*leaves)
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    grads = [torch.zeros_like(x) if g is None else g for x, g in zip(leaves, grads)]
    return loss.detach(), grads


def assert_same(ours, theirs, dtype):
    """Values and gradients of two ``value_and_grad`` results agree to ``dtype`` precision."""
    torch.testing.assert_close(ours[0], theirs[0].to(ours[0].dtype), **tolerance(dtype))
    for g_ours, g_theirs in zip(ours[1], theirs[1]):
        torch.testing.assert_close(g_ours, g_theirs.to(g_ours.dtype), **tolerance(dtype))
