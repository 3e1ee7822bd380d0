"""Tiny models, losses and in-memory loaders for the training tests.

The losses follow the ``input_kind`` contract and are written here in a few plain lines each, so
that the trainer is tested on its own; the real losses live in ``siamkit.losses``. Labels: 1 = same.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import siamkit as sk

DIM = 4


def tiny_model(
    seed: int = 0, head: str | None = None, dropout: float = 0.0, distance: str = "euclidean"
):
    torch.manual_seed(seed)
    enc = sk.encoders.create_encoder(
        "mlp", input_dim=DIM, embedding_dim=3, hidden_dims=[8], dropout=dropout
    )
    return sk.SiameseNetwork(enc, distance=distance, head=head)


def weights(model: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same_weights(a: nn.Module | dict, b: nn.Module | dict, atol: float = 0.0) -> None:
    wa = a if isinstance(a, dict) else weights(a)
    wb = b if isinstance(b, dict) else weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], atol=atol, rtol=0, msg=lambda m, k=k: f"{k}: {m}")


class Contrastive(nn.Module):
    """``y d^2/2 + (1-y) max(0, m-d)^2/2``, mean (1 = same)."""

    input_kind = "pair_distances"

    def forward(self, d: Tensor, y: Tensor) -> Tensor:
        return (y * d.pow(2) / 2 + (1 - y) * (1.0 - d).clamp_min(0).pow(2) / 2).mean()


class LogitBCE(nn.Module):
    input_kind = "pair_logits"

    def forward(self, logits: Tensor, y: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(logits, y)


class Triplet(nn.Module):
    input_kind = "triplets"

    def forward(self, a: Tensor, p: Tensor, n: Tensor) -> Tensor:
        return ((a - p).norm(dim=1) - (a - n).norm(dim=1) + 0.5).clamp_min(0).mean()


class CosineMSE(nn.Module):
    input_kind = "scored_pairs"

    def forward(self, u: Tensor, v: Tensor, target: Tensor) -> Tensor:
        return (F.cosine_similarity(u, v) - target).pow(2).mean()


class SoftLabelled(nn.Module):
    """An in-batch loss on (embeddings, labels): softmax over all other samples, the same-label
    ones as targets (every pair of the batch matters, so a partial batch gives another value).
    Counts batches without any positive pair in ``degenerate_batches``."""

    input_kind = "labelled"

    def __init__(self) -> None:
        super().__init__()
        self.degenerate_batches = 0

    def forward(self, e: Tensor, labels: Tensor) -> Tensor:
        eye = torch.eye(len(labels), dtype=torch.bool, device=e.device)
        logits = (-torch.cdist(e, e)).masked_fill(eye, float("-inf"))
        positive = (labels[:, None] == labels[None, :]) & ~eye
        if not positive.any():
            self.degenerate_batches += 1
            return e.sum() * 0.0
        logp = logits.log_softmax(1).masked_fill(~positive, 0.0)
        has = positive.any(1)
        return -(logp.sum(1)[has] / positive.sum(1)[has]).mean()


class MNRL(nn.Module):
    """Multiple negatives ranking: cross-entropy of row i of v1 against every row of v2."""

    input_kind = "duplicates"

    def forward(self, v1: Tensor, v2: Tensor) -> Tensor:
        scores = 20.0 * F.normalize(v1, dim=1) @ F.normalize(v2, dim=1).T
        return F.cross_entropy(scores, torch.arange(len(v1), device=v1.device))


def pair_batch(g: torch.Generator, n: int = 8) -> tuple[Tensor, Tensor, Tensor]:
    x1 = torch.randn(n, DIM, generator=g)
    y = torch.tensor([1.0, 0.0] * (n // 2))
    noise = 0.2 * torch.randn(n, DIM, generator=g)
    x2 = torch.where(y[:, None] > 0, x1 + noise, torch.randn(n, DIM, generator=g))
    return x1, x2, y


def scored_batch(g: torch.Generator, n: int = 8) -> tuple[Tensor, Tensor, Tensor]:
    x1, x2, _ = pair_batch(g, n)
    return x1, x2, torch.rand(n, generator=g)


def triplet_batch(g: torch.Generator, n: int = 8) -> tuple[Tensor, Tensor, Tensor]:
    a = torch.randn(n, DIM, generator=g)
    return a, a + 0.2 * torch.randn(n, DIM, generator=g), torch.randn(n, DIM, generator=g)


def labelled_batch(g: torch.Generator, p: int = 4, k: int = 2) -> tuple[Tensor, Tensor]:
    centres = 3 * torch.randn(p, DIM, generator=g)
    labels = torch.arange(p).repeat_interleave(k)
    return centres[labels] + 0.3 * torch.randn(p * k, DIM, generator=g), labels


def duplicate_batch(g: torch.Generator, n: int = 8) -> tuple[Tensor, Tensor]:
    x1 = torch.randn(n, DIM, generator=g)
    return x1, x1 + 0.2 * torch.randn(n, DIM, generator=g)


MAKERS = {
    "pairs": pair_batch,
    "scored_pairs": scored_batch,
    "triplets": triplet_batch,
    "labelled": labelled_batch,
    "duplicates": duplicate_batch,
}


def batches(kind: str, count: int, seed: int = 1, **kw) -> list[tuple[Tensor, ...]]:
    g = torch.Generator().manual_seed(seed)
    return [MAKERS[kind](g, **kw) for _ in range(count)]


class PairDataset(torch.utils.data.Dataset):
    """A map-style dataset of (x1, x2, y) pairs, for DataLoader tests."""

    batch_kind = "pairs"

    def __init__(self, n: int = 40, seed: int = 1) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x1, self.x2, self.y = pair_batch(g, n)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.x1[i], self.x2[i], self.y[i]


def clusters(n_classes=6, per_class=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = 3 * torch.randn(n_classes, DIM, generator=g)
    y = torch.arange(n_classes).repeat_interleave(per_class)
    from siamkit.data import LabelledData

    return LabelledData(
        centres[y] + 0.3 * torch.randn(len(y), DIM, generator=g), y, name="clusters"
    )
