"""The peer of benchmarks/mnist_pairs.py part a: a plain hand-written PyTorch loop, no siamkit.

What a PyTorch user would write for the Keras example's recipe: the tower as a plain
``nn.Sequential``, pairs drawn with a few tensor operations (one positive and one negative partner
per anchor, as Keras' ``make_pairs``), batches by plain tensor indexing into images converted to
float once, both sides of a batch through the tower in one call, the contrastive loss
``y * d^2 / 2 + (1 - y) * max(0, 1 - d)^2 / 2`` (y = 1 = same, as siamkit's) on the same distance
as siamkit's run (cosine distance ``1 - cos(u, v)``, or euclidean), and the same optimizer.
``channels_last=True`` is the hand-tuned variant: the tower's weights in NHWC memory format, which
oneDNN runs faster on CPU (see the ``convnet`` encoder's docstring).
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def keras_tower(flat: int = 256, dim: int = 10) -> nn.Sequential:
    """The Keras example's tower (BatchNorm settings of Keras: eps 1e-3, momentum 0.99)."""
    return nn.Sequential(
        nn.BatchNorm2d(1, eps=1e-3, momentum=0.01),
        nn.Conv2d(1, 4, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(4, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.BatchNorm1d(flat, eps=1e-3, momentum=0.01),
        nn.Linear(flat, dim), nn.Tanh(),
    )


def copy_weights(tower: nn.Module, encoder: nn.Module) -> None:
    """Give ``tower`` the encoder's initial weights (same tensors in the same order)."""
    src = list(encoder.state_dict().values())
    dst = tower.state_dict()
    if len(src) != len(dst):
        raise ValueError("the plain tower and the encoder have different layers")
    tower.load_state_dict({k: v.clone() for k, v in zip(dst, src)})


def draw_pairs(y: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    """Per anchor a positive (any sample of its class) and a negative (a random other class)."""
    n, k = len(y), int(y.max()) + 1
    order = torch.argsort(y, stable=True)
    count = torch.bincount(y, minlength=k)
    start = torch.cumsum(count, 0) - count
    anchors = torch.arange(n)
    pos = order[start[y] + (torch.rand(n, generator=gen) * count[y]).long()]
    other = (y + torch.randint(1, k, (n,), generator=gen)) % k
    neg = order[start[other] + (torch.rand(n, generator=gen) * count[other]).long()]
    i1 = anchors.repeat_interleave(2)
    i2 = torch.stack([pos, neg], 1).flatten()
    labels = torch.tensor([1.0, 0.0]).repeat(n)
    return i1, i2, labels


def distance(u: Tensor, v: Tensor, name: str) -> Tensor:
    if name == "cosine":
        return 1.0 - F.cosine_similarity(u, v)
    return (u - v).pow(2).sum(1).clamp_min(1e-12).sqrt()


def train_one_epoch(tower: nn.Module, x_uint8: Tensor, y: Tensor, batch_size: int, seed: int,
                    channels_last: bool = False, distance_name: str = "cosine"
                    ) -> dict[str, float]:
    """One epoch of 2 * len(y) pairs; returns the pairs, seconds and pairs per second."""
    if channels_last:
        tower.to(memory_format=torch.channels_last)
    optimizer = torch.optim.RMSprop(tower.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    x = x_uint8.float() / 255.0
    tower.train()
    t0, c0 = time.perf_counter(), time.process_time()
    gen = torch.Generator().manual_seed(seed)
    i1, i2, labels = draw_pairs(y, gen)
    order = torch.randperm(len(labels), generator=gen)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        target = labels[idx]
        u, v = tower(torch.cat([x[i1[idx]], x[i2[idx]]])).chunk(2)
        d = distance(u, v, distance_name)
        loss = 0.5 * (target * d.pow(2) + (1 - target) * (1.0 - d).clamp_min(0).pow(2)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"pairs": len(order), "train_s": seconds, "pairs_per_s": len(order) / seconds,
            "cpu_s": cpu, "pairs_per_cpu_s": len(order) / cpu,
            "last_loss": float(loss.detach())}


def encoder_fn(tower: nn.Module):
    """uint8 images -> embeddings, in eval mode."""
    def encode(x: Tensor) -> Tensor:
        tower.eval()
        return tower(x.float() / 255.0)
    return encode
