"""What a user hands the gallery (embeddings, names, metadata), checked. Raw samples are read and
embedded by :mod:`siamkit.inputs`, the reader the command line and the HTTP service share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..errors import DataError
from ..inputs import encode, is_single, modality  # noqa: F401 - encode: the gallery embeds through it

MAX_IDENTITY_LENGTH = 256


def check_identity(identity: Any) -> str:
    if not isinstance(identity, str) or not identity.strip():
        raise DataError(f"identity: expected a non-empty string, got {identity!r}")
    if len(identity) > MAX_IDENTITY_LENGTH or any(ord(c) < 32 for c in identity):
        raise DataError(f"identity {identity[:40]!r}: at most {MAX_IDENTITY_LENGTH} printable "
                        "characters")
    return identity


def check_embeddings(x: Any, dim: int, what: str) -> np.ndarray:
    """A finite float32 ``[n, dim]`` array (a single ``[dim]`` vector becomes one row)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError):
        raise DataError(f"{what}: expected numbers, got {type(x).__name__}") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise DataError(f"{what}: expected embeddings of shape [n, {dim}], got {tuple(arr.shape)}")
    if arr.shape[0] == 0:
        raise DataError(f"{what}: no embeddings given")
    if not np.isfinite(arr).all():
        raise DataError(f"{what}: holds NaN or infinite values")
    return np.ascontiguousarray(arr)


def check_metadata(meta: Any, what: str) -> dict:
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise DataError(f"{what}: metadata must be a dict, got {type(meta).__name__}")
    try:
        json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what}: metadata must be JSON-serialisable ({exc})") from None
    return meta


def reference_metadata(model: Any, samples: Any, given: Sequence[dict] | None, n: int,
                       what: str) -> list[dict]:
    """One metadata dict per reference: the caller's, else where the sample came from (an image
    file's path, or a text itself, so that :meth:`Gallery.search` can show what matched)."""
    if given is not None:
        if len(given) != n:
            raise DataError(f"{what}: {len(given)} reference metadata dicts for {n} samples")
        return [check_metadata(m, f"{what}, reference #{i}") for i, m in enumerate(given)]
    items = [samples] if is_single(samples) else samples
    kind = modality(model) if hasattr(model, "adapter") else ""
    if isinstance(items, (list, tuple)) and len(items) == n:
        if kind == "image" and all(isinstance(s, (str, Path)) for s in items):
            return [{"source": str(s)} for s in items]
        if kind == "text" and all(isinstance(s, str) for s in items):
            return [{"text": s} for s in items]
    return [{} for _ in range(n)]
