"""Running a Siamese model over many inputs in batches, for evaluation.

The model is put in eval mode (no dropout, frozen batch-norm statistics) and run without gradients;
its previous mode is restored afterwards, so evaluating in the middle of training is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError, DataError


@contextmanager
def inference_mode(model: Any) -> Iterator[None]:
    """``model.eval()`` and ``torch.no_grad()`` for the block; the previous mode is restored."""
    was_training = bool(getattr(model, "training", False))
    if hasattr(model, "eval"):
        model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        if was_training and hasattr(model, "train"):
            model.train()


def _check_batch_size(batch_size: int) -> int:
    if int(batch_size) < 1:
        raise ConfigError(f"batch_size: must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def batched(fn: Callable[..., Any], *inputs: Any, batch_size: int = 256) -> torch.Tensor:
    """``fn`` applied to aligned slices of ``inputs`` (tensors or lists), results concatenated."""
    batch_size = _check_batch_size(batch_size)
    n = len(inputs[0])
    if n == 0:
        raise DataError("inputs: are empty")
    parts = [fn(*(x[i : i + batch_size] for x in inputs)) for i in range(0, n, batch_size)]
    return torch.cat([torch.as_tensor(p).detach().cpu() for p in parts])


def pair_scores(model: Any, x1: Any, x2: Any, batch_size: int = 256) -> np.ndarray:
    """Scores (higher = more similar) of the pairs ``(x1[i], x2[i])`` via ``model.similarity``."""
    if len(x1) != len(x2):
        raise DataError(f"x1 and x2: different numbers of inputs ({len(x1)} and {len(x2)})")
    with inference_mode(model):
        scores = batched(model.similarity, x1, x2, batch_size=batch_size)
    return scores.to(torch.float64).numpy().reshape(-1)


def embed_all(model: Any, x: Any, batch_size: int = 256) -> torch.Tensor:
    """Embeddings ``[N, D]`` of every input in ``x`` via ``model.embed``, in batches."""
    with inference_mode(model):
        return batched(model.embed, x, batch_size=batch_size).float()
