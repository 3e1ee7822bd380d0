"""Numeric samples with labels: feature tables (CSV/TSV) and NumPy arrays (.npy / .npz).

For the MLP encoder (vectors) and for image arrays a user already holds. Arrays are read with
``numpy.load(allow_pickle=False)``: a file holding Python objects is refused, never unpickled.
``x`` of 2 dimensions is vectors ``[N, D]`` (stored float32); uint8 of 3 or 4 dimensions is images
``[N, H, W]`` / ``[N, C, H, W]``. Labels are integers (class ids) or strings (class names).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ...errors import DataError
from ..containers import LabelledData
from .register import given, register_reader
from .tables import RowError, class_ids, parse_number, read_table
from .text_files import read_rows


def load_feature_table(path: str | Path, *, label: str = "label",
                       features: Sequence[str] | None = None, delimiter: str | None = None,
                       on_error: str = "raise", name: str | None = None) -> LabelledData:
    """Vectors from the ``features`` columns (default: all but ``label``); classes from
    ``label``."""
    table = read_table(path, [label, *(features or [])], delimiter=delimiter)
    features = list(features) if features else [c for c in table.header if c != label]
    if not features:
        raise DataError(f"{path}: no feature columns besides {label!r}")
    cols, cl = [table.index(c) for c in features], table.index(label)

    def read(i: int) -> tuple[list[float], str]:
        row = table.rows[i]
        value = row[cl].strip()
        if not value:
            raise RowError(f"{table.where(i, label)}: empty label", "empty label")
        return [parse_number(table, i, c, row[j]) for c, j in zip(features, cols)], value

    values, kept, info = read_rows(table, on_error, read)
    y, classes = class_ids([v[1] for v in values])
    x = torch.tensor([v[0] for v in values], dtype=torch.float32)
    info["features"] = features
    return LabelledData(x, torch.tensor(y), classes, name or Path(path).stem,
                        ids=torch.tensor(kept), info=info)


def _load_npy(path: Path) -> np.ndarray | dict[str, np.ndarray]:
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                return {k: loaded[k] for k in loaded.files}
        return loaded
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DataError(f"{path}: holds Python objects; siamkit never unpickles a file "
                            f"(save numbers or fixed-width strings)") from None
        raise DataError(f"{path}: not a NumPy .npy/.npz file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read as .npy/.npz ({exc})") from None


def _labels(y: np.ndarray, where: str) -> tuple[np.ndarray, list[str] | None]:
    if y.ndim != 1:
        raise DataError(f"{where}: labels must be one-dimensional, got shape {list(y.shape)}")
    if y.dtype.kind in "US":
        names = [str(v).strip() for v in y.astype(str)]
        if "" in names:
            raise DataError(f"{where}: empty label at index {names.index('')}")
        ids, classes = class_ids(names)
        return np.asarray(ids), classes
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(y) | (y != np.round(y)))
        if len(bad):
            raise DataError(f"{where}: label {y[bad[0]].item()!r} at index {bad[0]} is not a "
                            f"whole number")
    elif y.dtype.kind not in "iub":
        raise DataError(f"{where}: labels of dtype {y.dtype} are neither numbers nor strings")
    if len(y) and y.min() < 0:
        raise DataError(f"{where}: negative label {y.min().item()} at index {int(np.argmin(y))}")
    return y.astype(np.int64), None


def load_arrays(x: str | Path, y: str | Path | None = None, *, x_key: str = "x", y_key: str = "y",
                classes: Sequence[str] | None = None, name: str | None = None) -> LabelledData:
    """Samples from ``x`` (.npy, or .npz holding ``x_key`` and ``y_key``) and labels from ``y``."""
    x_path = Path(x)
    loaded = _load_npy(x_path)
    if isinstance(loaded, dict):
        for k in (x_key,) + (() if y is not None else (y_key,)):
            if k not in loaded:
                raise DataError(f"{x_path}: no array {k!r} (arrays found: {', '.join(loaded)})")
        xs, ys, y_where = loaded[x_key], loaded.get(y_key), f"{x_path}[{y_key!r}]"
    else:
        xs, ys, y_where = loaded, None, ""
    if y is not None:
        ys, y_where = _load_npy(Path(y)), str(y)
        if isinstance(ys, dict):
            raise DataError(f"{y}: expected one .npy array of labels, got an .npz archive")
    if ys is None:
        raise DataError(f"{x_path}: no labels given; pass y=<labels.npy>")
    if xs.dtype.kind not in "fiub":
        raise DataError(f"{x_path}: samples of dtype {xs.dtype} are not numbers")
    if len(xs) != len(ys):
        raise DataError(f"{x_path}: {len(xs)} samples but {y_where} has {len(ys)} labels")
    ids, names = _labels(ys, y_where)
    if xs.ndim in (3, 4) and xs.dtype != np.uint8 and not (xs.dtype.kind == "f" and len(xs)
                                                           and 0 <= xs.min() <= xs.max() <= 1):
        raise DataError(f"{x_path}: images must be uint8 0-255 or floats in [0, 1], got "
                        f"{xs.dtype} values")
    return LabelledData(xs, torch.from_numpy(ids), names or classes, name or x_path.stem,
                        info={"source": str(x_path)})


@register_reader("feature_table", keys=("label", "features", "delimiter", "on_error"),
                 suffixes=(".csv", ".tsv", ".txt"), yields=("labelled",), modalities=("vector",))
def read_feature_table(path: str | Path, *, label: str | None = None,
                       features: list[str] | None = None, delimiter: str | None = None,
                       on_error: str = "raise") -> LabelledData:
    """Numeric feature columns and a class column per row, from CSV/TSV."""
    return load_feature_table(path, on_error=on_error,
                              **given(label=label, features=features, delimiter=delimiter))


@register_reader("arrays", keys=("labels",), suffixes=(".npy", ".npz"), yields=("labelled",),
                 modalities=("image", "vector"))
def read_arrays(path: str | Path, *, labels: str | None = None) -> LabelledData:
    """Samples and labels from NumPy files (.npy with a labels .npy, or one .npz)."""
    return load_arrays(path, labels)
