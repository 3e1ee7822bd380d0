"""``--data SPEC`` of ``siamkit evaluate``: a named dataset or a file/folder, read the way the
model reads it.

* ``digits``, ``mnist:test``, ``kjv-web:val``: a split of a named dataset as ``siamkit train``
  makes it with the default fractions (split ``test`` unless named);
* a file or folder: read by the reader that :data:`siamkit.registry.READERS` registers for its
  suffix (or for folders), told apart by the header columns it names and by the model's modality:
  a folder is an image folder, one subfolder per class, resized to the model's image size;
  ``.csv``/``.tsv`` text pairs (Quora layout: question1, question2, is_duplicate) or labelled texts
  (text, label); a feature table for a vector model; ``.npy``/``.npz`` arrays with labels
  (``--labels`` or the ``y`` of an ``.npz``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..config.schema import DataConfig
from ..errors import DataError
from ..inputs import modality
from ..registry import DATASETS, READERS, Entry

SPLITS = ("train", "val", "test")


def spec_help() -> str:
    """The ``--help`` of ``--data``, from the registered datasets and readers."""
    files = ", ".join(f"{e.name} ({'folder' if e['folder'] else '/'.join(e['suffixes'])})"
                      for e in READERS.entries() if e["suffixes"] or e["folder"])
    return (f"a named dataset[:split] ({', '.join(DATASETS.names())}), or a file or folder of a "
            f"reader: {files}")


def _header(path: Path) -> list[str]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return next(csv.reader(fh, delimiter=delimiter), [])
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None


def _candidates(path: Path, kind: str) -> tuple[list[Entry], list[Entry]]:
    """The readers registered for ``path``'s suffix (or for folders), and those of them that fit a
    model of ``kind`` inputs, the most specific first."""
    if path.is_dir():
        readers = READERS.entries(folder=True)
        return readers, [e for e in readers if kind in e["modalities"]]
    readers = [e for e in READERS.entries() if path.suffix.lower() in e["suffixes"]]
    if not any(e["columns"] for e in readers):
        return readers, readers  # nothing to tell them apart (arrays): the reader checks the data
    header = set(_header(path))
    # A reader that names its columns is taken when they are all there; one that takes any header
    # only for a model of its modality (a feature table for a vector model). Of those, a reader of
    # the model's modality first, then the one that names more columns (text pairs before texts).
    fitting = [e for e in readers if (set(e["columns"]) <= header if e["columns"]
                                      else kind in e["modalities"])]
    fitting.sort(key=lambda e: (kind not in e["modalities"], -len(e["columns"])))
    return readers, fitting


def file_config(path: Path, model: Any, labels: str | None) -> DataConfig:
    """The DataConfig that reads ``path`` for ``model``, with the reader that
    :data:`siamkit.registry.READERS` registers for its suffix."""
    kind = modality(model)
    readers, fitting = _candidates(path, kind)
    if not readers:
        suffixes = sorted({s for e in READERS.entries() for s in e["suffixes"]})
        raise DataError(f"{path}: unknown kind of data file (use a folder, "
                        f"{', '.join(suffixes)})")
    if not fitting:
        if path.is_dir():
            raise DataError(f"{path}: a folder is read as "
                            f"{' or '.join(m + 's' for e in readers for m in e['modalities'])}, "
                            f"but the model takes {kind} inputs")
        expected = " or ".join(f"{', '.join(e['columns'])} ({e.name.replace('_', ' ')})"
                               for e in sorted(readers, key=lambda e: -len(e["columns"]))
                               if e["columns"])
        raise DataError(f"{path}: expected columns {expected}; found "
                        f"{', '.join(_header(path)[:8]) or 'none'}")
    reader = fitting[0]
    known: dict[str, Any] = {"labels": labels}
    if kind == "image":
        known.update(image_size=list(model.adapter.image_size),
                     color="grayscale" if model.adapter.channels == 1 else "rgb")
    values = {key: value for key, value in known.items() if key in reader["keys"]}
    return DataConfig(source=reader.name, path=str(path), **values)


def load_spec(spec: str, model: Any, default_split: str, labels: str | None = None,
              data_dir: str | None = None, what: str = "--data") -> Any:
    """The LabelledData or PairData that ``spec`` names (see the module docstring)."""
    from ..experiment.data import load_source, load_splits

    path = Path(spec)
    if path.exists():
        return load_source(file_config(path, model, labels), source=what)
    name, _, split = spec.partition(":")
    if name not in DATASETS:
        raise DataError(f"{what} {spec}: no such file or folder, and not a named dataset "
                        f"({', '.join(DATASETS.names())})")
    split = split or default_split
    if split not in SPLITS:
        raise DataError(f"{what} {spec}: unknown split {split!r}; use {', '.join(SPLITS)}")
    splits = load_splits(DataConfig(source="dataset", name=name, data_dir=data_dir), what)
    return getattr(splits, split)
