"""``--data SPEC`` of ``siamkit evaluate``: a named dataset or a file/folder, read the way the
model reads it.

* ``digits``, ``mnist:test``, ``kjv-web:val``: a split of a named dataset as ``siamkit train``
  makes it with the default fractions (split ``test`` unless named);
* a folder: an image folder, one subfolder per class, resized to the model's image size;
* ``.csv``/``.tsv``: text pairs (Quora layout: question1, question2, is_duplicate) or labelled texts
  (text, label), told apart by the header; a feature table for a vector model;
* ``.npy``/``.npz``: arrays with labels (``--labels`` or the ``y`` of an ``.npz``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..config.schema import DataConfig
from ..errors import DataError

SPLITS = ("train", "val", "test")


def _header(path: Path) -> list[str]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return next(csv.reader(fh, delimiter=delimiter), [])
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None


def file_config(path: Path, model: Any, labels: str | None) -> DataConfig:
    """The DataConfig that reads ``path`` for ``model``."""
    kind = getattr(model.adapter, "type", "tensor")
    suffix = path.suffix.lower()
    if path.is_dir():
        if kind != "image":
            raise DataError(f"{path}: a folder is read as images, but the model takes {kind} inputs")
        return DataConfig(source="image_folder", path=str(path), image_size=list(model.adapter.image_size),
                          color="grayscale" if model.adapter.channels == 1 else "rgb")
    if suffix in (".npy", ".npz"):
        return DataConfig(source="arrays", path=str(path), labels=labels)
    if suffix in (".csv", ".tsv", ".txt"):
        header = _header(path)
        if {"question1", "question2", "is_duplicate"} <= set(header):
            return DataConfig(source="text_pairs", path=str(path))
        if kind == "vector":
            return DataConfig(source="feature_table", path=str(path))
        if {"text", "label"} <= set(header):
            return DataConfig(source="labelled_texts", path=str(path))
        raise DataError(f"{path}: expected columns question1, question2, is_duplicate (text pairs) or "
                        f"text, label (labelled texts); found {', '.join(header[:8]) or 'none'}")
    raise DataError(f"{path}: unknown kind of data file (use a folder, .csv, .tsv, .npy or .npz)")


def load_spec(spec: str, model: Any, default_split: str, labels: str | None = None,
              data_dir: str | None = None, what: str = "--data") -> Any:
    """The LabelledData or PairData that ``spec`` names (see the module docstring)."""
    from ..experiment.data import load_source, load_splits

    path = Path(spec)
    if path.exists():
        return load_source(file_config(path, model, labels), source=what)
    from ..data import list_datasets

    name, _, split = spec.partition(":")
    if name.strip().lower().replace("_", "-") not in list_datasets():
        raise DataError(f"{what} {spec}: no such file or folder, and not a named dataset "
                        f"({', '.join(list_datasets())})")
    split = split or default_split
    if split not in SPLITS:
        raise DataError(f"{what} {spec}: unknown split {split!r}; use {', '.join(SPLITS)}")
    splits = load_splits(DataConfig(source="dataset", name=name, data_dir=data_dir), what)
    return getattr(splits, split)
