"""What the CUDA tests share: the ``cuda`` marker with its skip, small learnable data and models.

Every test here is marked ``cuda`` and skips, saying why, where torch sees no GPU (CI, our 2-core
machines). ``python benchmarks/gpu_check.py`` runs them on a GPU machine (``pytest -m cuda
tests/cuda``); there each must pass or fail on its own evidence.
"""

from __future__ import annotations

import pytest
import torch

import siamkit as sk
from siamkit.adapters import ImageAdapter
from siamkit.data import LabelledData, PairData

needs_cuda = [
    pytest.mark.cuda,
    pytest.mark.skipif(
        not torch.cuda.is_available(),
        reason="needs a CUDA GPU (torch.cuda.is_available() is False here); "
        "run on a GPU machine with `python benchmarks/gpu_check.py`",
    ),
]


def images(n: int = 320, seed: int = 0) -> LabelledData:
    """``n`` noisy 28x28 uint8 images of 10 classes, each class a bright bar at its own place."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 10
    x = torch.randint(0, 60, (n, 1, 28, 28), generator=gen)
    for c in range(10):
        rows = slice(2 * c + 2, 2 * c + 6)
        x[y == c, 0, rows, 4:24] += 180
    return LabelledData(x.clamp(0, 255).to(torch.uint8), y, [str(c) for c in range(10)], "bars")


def image_model(seed: int = 0) -> sk.SiameseNetwork:
    """The default convnet (small channels), cosine distance, MNIST-like adapter."""
    torch.manual_seed(seed)
    encoder = sk.encoders.create_encoder(
        "convnet", in_channels=1, preset="default", channels=[8, 16], embedding_dim=16
    )
    return sk.SiameseNetwork(encoder, distance="cosine", adapter=ImageAdapter(1, 28))


def vector_pairs(n: int = 256, dim: int = 16, seed: int = 0) -> PairData:
    """Pairs of float vectors, half of them noisy copies (1 = same), half unrelated."""
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(n, dim, generator=gen)
    y = (torch.arange(n) % 2 == 0).float()
    b = torch.where(y[:, None] > 0, a + 0.1 * torch.randn(n, dim, generator=gen),
                    torch.randn(n, dim, generator=gen))
    return PairData(a, b, y, name="vector-pairs")


def mlp_model(seed: int = 0, dim: int = 16, dropout: float = 0.0) -> sk.SiameseNetwork:
    torch.manual_seed(seed)
    encoder = sk.encoders.create_encoder(
        "mlp", input_dim=dim, embedding_dim=8, hidden_dims=[32], dropout=dropout
    )
    return sk.SiameseNetwork(encoder, distance="euclidean")


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def assert_close_weights(a: dict, b: dict, atol: float) -> None:
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=atol, rtol=0, msg=lambda m, k=k: f"{k}: {m}")
