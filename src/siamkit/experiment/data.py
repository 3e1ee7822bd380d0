"""The ``[data]`` section made real: train, validation and test data, and their modality.

The source's reader comes from :data:`siamkit.registry.READERS`, a named dataset's facts from
:data:`siamkit.registry.DATASETS`. Named datasets with a test split of their own (``official_test``
in their entry: MNIST, Fashion-MNIST, kjv-web) keep it, and ``val_fraction`` of their training part
becomes validation; other data are split seeded into train / validation / test (``val_fraction``,
``test_fraction``), or read from ``val_path`` / ``test_path``. With ``class_disjoint``, the test
classes are never seen in training (Koch, Zemel & Salakhutdinov 2015, one-shot learning);
validation then comes from the training classes. Splits of one source are checked to share no
sample (:func:`siamkit.data.check_no_leakage`). ``modality = "vector"`` turns images into vectors
of their pixels (an MLP on digits, say).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config.fields import where
from ..config.schema import DataConfig
from ..errors import ConfigError
from ..registry import READERS, Entry


@dataclass
class Splits:
    """The data of an experiment: LabelledData or PairData for each of train, val, test."""

    train: Any
    val: Any
    test: Any
    modality: str
    notes: list[str] = field(default_factory=list)

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}

    @property
    def labelled(self) -> bool:
        from ..data import LabelledData

        return isinstance(self.train, LabelledData)


def reader_entry(d: DataConfig, source: str = "config") -> Entry:
    """The registered reader of ``d.source`` (:data:`siamkit.registry.READERS`)."""
    return READERS.entry(d.source, f"{where(source, 'data')} source:")


def reads_files(reader: Entry) -> bool:
    """Whether ``reader`` reads a user's file or folder (it takes ``path``), not a named dataset."""
    return "path" in reader["keys"]


def load_source(d: DataConfig, path: str | None = None, source: str = "config") -> Any:
    """One whole file or folder of a user source (``path`` defaults to ``d.path``), read by the
    source's registered reader with the ``[data]`` keys it declares."""
    from ..data.readers import FILE_KEYS

    reader = reader_entry(d, source)
    if not reads_files(reader):
        raise ConfigError(f"{where(source, 'data')} source: {d.source!r} is not a file source")
    values = {key: getattr(d, key) for key in reader["keys"] if key not in FILE_KEYS}
    return reader.obj(path or d.path, **values)


def _named(d: DataConfig, split: str) -> Any:
    from ..data import dataset_info, load_dataset

    options = dict(d.options)
    if "test_fraction" in dataset_info(d.name).options:  # a dataset that cuts its own test part
        options.setdefault("test_fraction", d.test_fraction)
    return load_dataset(d.name, split, d.data_dir, seed=d.split_seed, **options)


def _split_note(what: str | None, d: DataConfig) -> str:
    train = 1 - d.val_fraction - d.test_fraction
    return (f"{what}: split train / validation / test = {train:g} / {d.val_fraction:g} / "
            f"{d.test_fraction:g} (seed {d.split_seed})")


def _split_named(d: DataConfig) -> tuple[Any, Any, Any, list[str]]:
    from ..data import dataset_info, train_val_split, train_val_test_split

    if dataset_info(d.name).official_test:
        train, val = train_val_split(_named(d, "train"), d.val_fraction, d.split_seed)
        note = (f"{d.name}: its own test split; validation = {d.val_fraction:g} of its training "
                f"split (seed {d.split_seed})")
        return train, val, _named(d, "test"), [note]
    whole = _named(d, "all")
    train, val, test = train_val_test_split(whole, d.val_fraction, d.test_fraction, d.split_seed)
    return train, val, test, [_split_note(d.name, d)]


def _split_disjoint(d: DataConfig, whole: Any, source: str) -> tuple[Any, Any, Any, list[str]]:
    from ..data import LabelledData, class_disjoint_split, train_val_split

    if not isinstance(whole, LabelledData):
        raise ConfigError(f"{where(source, 'data')} class_disjoint: needs samples with classes; "
                          f"{whole.name!r} holds pairs")
    seen, test = class_disjoint_split(whole, d.test_classes, d.split_seed)
    train, val = train_val_split(seen, d.val_fraction, d.split_seed)
    note = (f"class-disjoint: test classes {', '.join(test.classes)} never seen in training; "
            f"validation = {d.val_fraction:g} of the training classes' samples (seed {d.split_seed})")
    return train, val, test, [note]


def _split_file(d: DataConfig, source: str) -> tuple[Any, Any, Any, list[str]]:
    from ..data import train_val_split, train_val_test_split

    whole = load_source(d, source=source)
    if d.class_disjoint:
        if d.test_path:
            raise ConfigError(f"{where(source, 'data')} class_disjoint: cannot be combined with "
                              f"test_path (both choose the test data)")
        return _split_disjoint(d, whole, source)
    val = load_source(d, d.val_path, source) if d.val_path else None
    test = load_source(d, d.test_path, source) if d.test_path else None
    if val is not None and test is not None:
        return whole, val, test, [f"train {d.path}, validation {d.val_path}, test {d.test_path}"]
    if test is not None:
        train, val = train_val_split(whole, d.val_fraction, d.split_seed)
        return train, val, test, [f"test {d.test_path}; validation = {d.val_fraction:g} of {d.path}"]
    if val is not None:
        train, test = train_val_split(whole, d.test_fraction, d.split_seed)
        return train, val, test, [f"validation {d.val_path}; test = {d.test_fraction:g} of {d.path}"]
    train, val, test = train_val_test_split(whole, d.val_fraction, d.test_fraction, d.split_seed)
    return train, val, test, [_split_note(d.path, d)]


def limit(data: Any, n: int | None, seed: int) -> Any:
    """A seeded random subset of at most ``n`` samples (order kept)."""
    if n is None or len(data) <= n:
        return data
    keep = np.sort(np.random.default_rng(seed).permutation(len(data))[:n])
    return data.subset(keep)


def as_vectors(data: Any) -> Any:
    """Images ``[N, C, H, W]`` as float vectors ``[N, C*H*W]`` (pixel values, 0-255 for uint8)."""
    from dataclasses import replace

    if hasattr(data, "x"):
        return replace(data, x=data.x.reshape(len(data.x), -1).float())
    return replace(data, x1=data.x1.reshape(len(data.x1), -1).float(),
                   x2=data.x2.reshape(len(data.x2), -1).float())


def load_splits(d: DataConfig, source: str = "config") -> Splits:
    """Train, validation and test data for ``d`` (see the module docstring)."""
    from ..data import check_no_leakage

    if not reads_files(reader_entry(d, source)):  # a named dataset
        if d.class_disjoint:
            train, val, test, notes = _split_disjoint(d, _named(d, "all"), source)
        else:
            train, val, test, notes = _split_named(d)
        one_source = True
    else:
        train, val, test, notes = _split_file(d, source)
        one_source = not (d.val_path or d.test_path)
    if one_source:
        check_no_leakage(train, val, test, by="ids")
    train = limit(train, d.max_train, d.split_seed)
    val = limit(val, d.max_val, d.split_seed + 1)
    test = limit(test, d.max_test, d.split_seed + 2)
    for name, part in (("max_train", d.max_train), ("max_val", d.max_val), ("max_test", d.max_test)):
        if part is not None:
            notes.append(f"{name} = {part}: a seeded random subset")
    if d.modality == "vector" and train.kind == "image":
        train, val, test = (as_vectors(part) for part in (train, val, test))
        notes.append("modality = vector: images flattened to vectors of pixel values")
    modality = train.kind
    for name, part in (("validation", val), ("test", test)):
        if part.kind != modality:
            raise ConfigError(f"{where(source, 'data')} the {name} data hold {part.kind}s but the "
                              f"training data hold {modality}s")
    if d.modality not in ("auto", modality):
        raise ConfigError(f"{where(source, 'data')} modality: {d.modality!r} was set, but the data "
                          f"hold {modality}s")
    return Splits(train, val, test, modality, notes)

