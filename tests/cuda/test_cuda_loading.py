"""Pinned-memory loading onto a CUDA device (``cuda`` marker: skipped without a GPU).

The trainer copies each batch with ``non_blocking=True``; from page-locked (pinned) host memory that
copy is asynchronous, so a wrong stream or a reused host buffer would show up as different weights
from the same run with ordinary memory."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, TensorDataset

import siamkit as sk
from siamkit.losses import ContrastiveLoss

from cuda_helpers import assert_close_weights, mlp_model, needs_cuda, vector_pairs, weights

pytestmark = needs_cuda


def pair_loader(pin: bool, workers: int = 0) -> DataLoader:
    data = vector_pairs(512)
    loader = DataLoader(TensorDataset(data.x1, data.x2, data.y), batch_size=64, shuffle=False,
                        pin_memory=pin, num_workers=workers)
    loader.batch_kind = "pairs"
    return loader


def test_pinned_loader_yields_page_locked_batches():
    x1, x2, y = next(iter(pair_loader(pin=True)))
    assert x1.is_pinned() and x2.is_pinned() and y.is_pinned()
    assert not next(iter(pair_loader(pin=False)))[0].is_pinned()


def test_training_from_pinned_memory_matches_ordinary_memory():
    runs = {}
    for name, loader in (("plain", pair_loader(False)), ("pinned", pair_loader(True)),
                         ("pinned_workers", pair_loader(True, workers=2))):
        model = mlp_model()
        sk.Trainer(model, ContrastiveLoss(margin=1.0), lr=1e-2, epochs=2, device="cuda",
                   amp=False, progress=False, seed=0).fit(loader)
        runs[name] = weights(model)
    assert_close_weights(runs["pinned"], runs["plain"], atol=0.0)
    assert_close_weights(runs["pinned_workers"], runs["plain"], atol=0.0)


def test_non_blocking_copies_from_pinned_memory_arrive_intact():
    """Many back-to-back asynchronous copies, each checked on the GPU afterwards."""
    batches = [torch.full((256, 64), float(i)).pin_memory() for i in range(32)]
    on_gpu = [b.to("cuda", non_blocking=True) for b in batches]
    sums = torch.stack([g.sum() for g in on_gpu]).cpu()
    torch.testing.assert_close(sums, torch.arange(32.0) * 256 * 64)
