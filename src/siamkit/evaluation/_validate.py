"""Input checks shared by the evaluation functions.

Every check turns what the caller passed (lists, numpy arrays, torch tensors) into plain numpy
arrays and raises :class:`siamkit.errors.DataError` naming the argument, the first offending index
and what is wrong, so that a command line can print it in one line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DataError


def to_numpy(values: Any) -> np.ndarray:
    """A numpy view/copy of a list, numpy array or torch tensor (detached, on the CPU)."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def check_1d(values: Any, name: str, dtype: Any = np.float64) -> np.ndarray:
    """A 1-D array of ``dtype``; DataError if it is not 1-D, empty, or not numeric."""
    arr = to_numpy(values)
    if arr.ndim != 1:
        raise DataError(f"{name}: expected a 1-D sequence, got shape {tuple(arr.shape)}")
    if arr.size == 0:
        raise DataError(f"{name}: is empty")
    try:
        return arr.astype(dtype)
    except (TypeError, ValueError):
        raise DataError(f"{name}: values must be numbers, got dtype {arr.dtype}") from None


def check_finite(arr: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        first = np.flatnonzero(bad.reshape(-1))[0]
        index = np.unravel_index(first, arr.shape)
        where = index[0] if len(index) == 1 else index
        raise DataError(
            f"{name}: {int(bad.sum())} value(s) are NaN or infinite (first at index {where}: "
            f"{arr[index]})"
        )


def check_scores_labels(
    scores: Any, labels: Any, scores_name: str = "scores", labels_name: str = "labels"
) -> tuple[np.ndarray, np.ndarray]:
    """``(scores float64 [N], labels int64 [N])`` for verification: same length, finite scores,
    labels in {0, 1} (1 = same, 0 = different) with both classes present."""
    s = check_1d(scores, scores_name)
    raw = to_numpy(labels)
    if raw.dtype == bool:
        raw = raw.astype(np.int64)
    y = check_1d(raw, labels_name)
    if len(s) != len(y):
        raise DataError(
            f"{scores_name} and {labels_name}: different lengths ({len(s)} and {len(y)})"
        )
    check_finite(s, scores_name)
    not_binary = ~np.isin(y, (0.0, 1.0))
    if not_binary.any():
        i = int(np.flatnonzero(not_binary)[0])
        raise DataError(
            f"{labels_name}: must be 0 (different) or 1 (same); index {i} is {raw[i].item()!r} "
            f"({int(not_binary.sum())} such value(s))"
        )
    y = y.astype(np.int64)
    n_same = int(y.sum())
    if n_same == 0 or n_same == len(y):
        present = "1 (same)" if n_same else "0 (different)"
        raise DataError(
            f"{labels_name}: all {len(y)} labels are {present}; need both same (1) and "
            "different (0) pairs"
        )
    return s, y


def check_embeddings(emb: Any, name: str) -> np.ndarray:
    """A finite float32 ``[N, D]`` array (C-contiguous, as FAISS needs)."""
    arr = to_numpy(emb)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(f"{name}: expected a non-empty [N, D] array, got shape {tuple(arr.shape)}")
    try:
        arr = np.ascontiguousarray(arr, dtype=np.float32)
    except (TypeError, ValueError):
        raise DataError(f"{name}: values must be numbers, got dtype {arr.dtype}") from None
    check_finite(arr, name)
    return arr


def check_class_labels(labels: Any, n: int, name: str, rows_name: str) -> np.ndarray:
    """1-D class labels (any hashable numbers), one per row of ``rows_name``."""
    arr = to_numpy(labels)
    if arr.ndim != 1:
        raise DataError(f"{name}: expected a 1-D sequence, got shape {tuple(arr.shape)}")
    if len(arr) != n:
        raise DataError(f"{name}: has {len(arr)} labels but {rows_name} has {n} rows")
    if arr.dtype.kind == "f":
        check_finite(arr, name)
    return arr
