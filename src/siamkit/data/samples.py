"""Checking and indexing sample collections: image or vector tensors, or lists of texts.

Shared by the containers and the loaders. Images are ``[N, C, H, W]`` (uint8 0-255 or float
``[0, 1]``; ``[N, H, W]`` gains a channel axis), vectors ``[N, D]`` are stored float32 and must be
finite, texts are a ``list[str]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..errors import DataError


def as_samples(x: Any, what: str) -> Tensor | list[str]:
    """Check and normalise one sample collection: images, vectors or texts."""
    if isinstance(x, (list, tuple)) and all(isinstance(t, str) for t in x):
        return list(x)
    if isinstance(x, (list, tuple)):
        bad = next(i for i, t in enumerate(x) if not isinstance(t, str))
        raise DataError(f"{what}: item {bad} is a {type(x[bad]).__name__}; a list must hold texts")
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            raise DataError(f"{what}: an object array cannot be used; give numbers or texts")
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not isinstance(x, Tensor):
        raise DataError(f"{what}: expected a tensor, an array or a list of texts, got "
                        f"{type(x).__name__}")
    if x.dim() == 3:  # [N, H, W] grayscale images
        x = x.unsqueeze(1)
    if x.dim() == 4:
        return x
    if x.dim() == 2:
        if not x.is_floating_point() or x.dtype == torch.float64:
            x = x.float()
        if not torch.isfinite(x).all():
            row = int((~torch.isfinite(x)).any(dim=1).nonzero()[0])
            raise DataError(f"{what}: row {row} holds NaN or infinite values")
        return x
    raise DataError(
        f"{what}: shape {tuple(x.shape)} is neither images [N, C, H, W] nor vectors [N, D]"
    )


def sample_kind(x: Tensor | list[str]) -> str:
    """``"text"``, ``"image"`` or ``"vector"``."""
    if isinstance(x, list):
        return "text"
    return "image" if x.dim() == 4 else "vector"


def take(x: Tensor | list[str] | None, index: Tensor) -> Any:
    """Rows ``index`` of a tensor or list (``None`` stays ``None``)."""
    if x is None:
        return None
    if isinstance(x, list):
        return [x[i] for i in index.tolist()]
    return x.index_select(0, index)


def as_index(indices: Any, n: int, what: str) -> Tensor:
    """int64 indices into ``range(n)``; a bool mask is accepted too."""
    index = torch.as_tensor(np.asarray(indices)) if not isinstance(indices, Tensor) else indices
    if index.dtype == torch.bool:
        if index.numel() != n:
            raise DataError(f"{what}: mask has {index.numel()} entries for {n} samples")
        index = index.nonzero().flatten()
    index = index.long().flatten()
    if index.numel() and (int(index.min()) < -n or int(index.max()) >= n):
        raise DataError(f"{what}: index out of range for {n} samples")
    return index % max(n, 1)
