"""Reading the raw inputs a command line names, in the form the model's input adapter takes.

* image models: image files, and folders (every image file inside, recursively, sorted);
* text models: the arguments themselves are the texts; ``--from-file`` reads one text per line;
* vector models: ``.npy`` files (one vector ``[D]`` or rows ``[N, D]``), ``.csv``/``.txt`` files
  of comma-separated rows (a first line that is not numbers is a header), or a literal
  ``"0.1,0.5,..."``.

Each input keeps a name (the path, the text, ``file.npy[3]``) for the output's rows.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm",
                  ".pbm"}


def read_lines(path: str | Path) -> list[str]:
    """Non-blank lines of a UTF-8 text file (trailing newline characters removed)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None
    return [line.rstrip("\r\n") for line in text.splitlines() if line.strip()]


def image_paths(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise DataError(f"{path}: folder holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
            out += [str(p) for p in found]
        elif path.is_file():
            out.append(str(path))
        else:
            raise DataError(f"{path}: no such image file or folder")
    return out


def _numbers(row: list[str], where: str) -> list[float]:
    try:
        return [float(v) for v in row if v.strip() != ""]
    except ValueError:
        raise DataError(f"{where}: not a row of numbers: {','.join(row)[:60]!r}") from None


def _vectors_of(item: str) -> tuple[np.ndarray, list[str]]:
    path = Path(item)
    if path.suffix.lower() == ".npy" or (path.is_file() and path.suffix.lower() not in (".csv", ".txt", ".tsv")):
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise DataError(f"{path}: not a numeric .npy array (siamkit never unpickles; {exc})") from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiub":
            raise DataError(f"{path}: expected a numeric array of vectors")
        array = array.reshape(1, -1) if array.ndim == 1 else array
        return array, [f"{path}[{i}]" for i in range(len(array))]
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        rows = [r for r in csv.reader(read_lines(path), delimiter=delimiter) if r]
        if rows:
            try:
                [float(v) for v in rows[0]]
            except ValueError:
                rows = rows[1:]  # a header
        values = [_numbers(r, f"{path} row {i + 1}") for i, r in enumerate(rows)]
        if not values:
            raise DataError(f"{path}: no rows of numbers")
        return np.asarray(values, dtype=np.float32), [f"{path}[{i}]" for i in range(len(values))]
    try:
        return np.asarray([[float(v) for v in item.split(",")]], dtype=np.float32), [item]
    except ValueError:
        raise DataError(f"{item[:60]!r}: neither a vector file (.npy, .csv) nor comma-separated "
                        f"numbers") from None


def vectors(items: list[str], dim: int) -> tuple[np.ndarray, list[str]]:
    arrays, names = [], []
    for item in items:
        array, labels = _vectors_of(item)
        if array.ndim != 2 or array.shape[1] != dim:
            raise DataError(f"{item}: the model takes vectors of {dim} numbers, got shape "
                            f"{list(array.shape)}")
        arrays.append(array.astype(np.float32))
        names += labels
    return np.concatenate(arrays), names


def read_inputs(model: Any, items: list[str], from_file: str | Path | None = None
                ) -> tuple[Any, list[str]]:
    """``(inputs, names)`` for ``model``: see the module docstring."""
    from ._common import modality

    items = list(items) + (read_lines(from_file) if from_file else [])
    if not items:
        raise ConfigError("inputs: none given (name them as arguments, or --from-file FILE)")
    kind = modality(model)
    if kind == "image":
        paths = image_paths(items)
        return paths, paths
    if kind == "text":
        return items, items
    if kind == "vector":
        return vectors(items, model.adapter.input_dim)
    raise ConfigError("this model has no input adapter (a user encoder taking tensors): it cannot read "
                      "files or texts from the command line; use it from Python")


def read_one(model: Any, item: str, what: str) -> tuple[Any, str]:
    """One input for ``verify``: ``(batch of one, name)``."""
    inputs, names = read_inputs(model, [item])
    if len(names) != 1:
        raise DataError(f"{what}: {item} holds {len(names)} inputs; verify compares exactly one with one")
    return inputs, names[0]
