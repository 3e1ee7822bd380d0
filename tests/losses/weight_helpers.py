"""Helpers for the losses with learned class weights or proxies: the same weights in siamkit's
loss and pytorch-metric-learning's, and value + gradients (embeddings and weights) of each."""

from __future__ import annotations

import torch
from loss_helpers import assert_same

CLASSES, DIM = 5, 6
BATCHES = [3, 16, 48]


def batch(size: int, dtype: torch.dtype, seed: int, classes: int = CLASSES, dim: int = DIM):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(size, dim, generator=gen, dtype=dtype), torch.randint(0, classes, (size,),
                                                                            generator=gen)


def share_weights(ours: torch.nn.Module, theirs: torch.nn.Module, attr: str) -> None:
    """Copy ``ours.weight`` ``[C, D]`` into PML's ``attr``: ``W`` is ``[D, C]`` (transposed),
    ``proxies`` is ``[C, D]``."""
    weight = ours.weight.detach().clone()
    getattr(theirs, attr).data = weight.T.contiguous() if attr == "W" else weight


def value_and_grads(loss: torch.nn.Module, weight: torch.nn.Parameter, emb, labels):
    """``(loss, [d loss / d emb, d loss / d weight])`` with ``weight`` as ``[C, D]``."""
    e = emb.detach().clone().requires_grad_()
    weight.grad = None
    value = loss(e, labels)
    value.backward()
    return value.detach(), [e.grad, weight.grad]


def assert_matches_pml(ours, theirs, attr: str, emb, labels, dtype) -> None:
    """Same weights, same embeddings: same loss and the same gradients for both."""
    ours = ours.to(dtype)
    share_weights(ours, theirs, attr)
    mine = value_and_grads(ours, ours.weight, emb, labels)
    value, (g_emb, g_w) = value_and_grads(theirs, getattr(theirs, attr), emb, labels)
    assert_same(mine, (value, [g_emb, g_w.T if attr == "W" else g_w]), dtype)


def own_class_cosine(loss, emb) -> torch.Tensor:
    """Each embedding's cosine to its class's (closest) weight vector, ``[B]``."""
    w = torch.nn.functional.normalize(loss.weight.detach(), dim=1)
    cos = torch.nn.functional.normalize(emb, dim=1) @ w.T
    return cos.view(len(emb), loss.n_classes, loss.per_class).amax(2)


def _lead(loss, emb, labels) -> torch.Tensor:
    """``[B]``: each embedding's cosine to its own class minus its mean cosine to the others."""
    cos = own_class_cosine(loss, emb)
    own = cos.gather(1, labels[:, None]).squeeze(1)
    return own - (cos.sum(1) - own) / (loss.n_classes - 1)


def sgd_step_moves_towards_class(loss, emb, labels, lr=0.05, every=True):
    """One SGD step on the embeddings lowers the loss, raises the mean cosine of the embeddings
    to their own class, and moves every embedding (with ``every=False``: the embeddings on
    average) towards its class relative to the others (equal id = same class)."""
    e = emb.clone().requires_grad_()
    before = loss(e, labels)
    before.backward()
    with torch.no_grad():
        moved = e - lr * e.grad
        after = loss(moved, labels)
    own = own_class_cosine(loss, emb).gather(1, labels[:, None])
    own_after = own_class_cosine(loss, moved).gather(1, labels[:, None])
    assert after < before
    assert own_after.mean() > own.mean()
    gain = _lead(loss, moved, labels) - _lead(loss, emb, labels)
    assert (gain > 0).all() if every else gain.mean() > 0
