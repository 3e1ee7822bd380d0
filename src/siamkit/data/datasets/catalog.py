"""Named datasets: ``load_dataset(name, split=..., data_dir=None, ...)``, ``list_datasets()`` and
``dataset_info(name)``, the public wrappers over :data:`siamkit.registry.DATASETS`.

=================  =====================  ==========================================================
name               returns                splits
=================  =====================  ==========================================================
``digits``         LabelledData images    train / val / test (seeded, stratified 60/20/20) / all
``mnist``          LabelledData images    train / test / all; val with ``val_fraction`` > 0
``fashion-mnist``  LabelledData images    train / test / all; val with ``val_fraction`` > 0
``kjv-web``        PairData texts         train (Old Testament) / test (New Testament) / all;
                                          val with ``val_fraction`` > 0 (by duplicate group)
=================  =====================  ==========================================================

With ``val_fraction`` > 0, ``"train"`` is the official training part minus the seeded ``"val"`` part
(stratified by class, or by duplicate group); the two never share a sample. The data directory is
resolved as :func:`siamkit.data.datasets.paths.resolve_data_dir` says. MNIST options:
``download``, ``progress``, ``verify``, ``mirrors``; digits: ``test_fraction``.

A dataset registers itself next to its definition with
``DATASETS.register(name, aliases=..., **facts)`` on a function
``load(split, data_dir, seed, val_fraction, **options)``; its docstring's first line is the
description. The facts: ``splits`` (what ``split`` accepts), ``official_test`` (True when the
``"test"`` split is fixed by the dataset, so an experiment keeps it instead of cutting its own),
``options`` (the keyword options the loader takes), ``yields`` (``"labelled"`` or ``"pairs"``) and
``modality`` (``"image"``, ``"text"`` or ``"vector"``). Names are matched case-insensitively, with
``_`` for ``-`` (``Fashion_MNIST``).

Named datasets are themselves one ``[data] source`` of an experiment config, ``"dataset"``,
registered here in :data:`siamkit.registry.READERS` with the ``[data]`` keys it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ...errors import ConfigError
from ...registry import DATASETS, READERS
from ..containers import LabelledData, PairData


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`dataset_info` says about a named dataset (from its registry entry)."""

    name: str
    description: str
    options: tuple[str, ...]
    load: Callable[..., Any]
    splits: tuple[str, ...] = ()
    official_test: bool = False


def list_datasets() -> list[str]:
    """Names accepted by :func:`load_dataset`."""
    return DATASETS.names()


def dataset_info(name: str) -> DatasetInfo:
    """The registered facts of dataset ``name``; an unknown name is a ConfigError listing all."""
    entry = DATASETS.entry(name)
    return DatasetInfo(entry.name, entry.summary, tuple(entry["options"]), entry.obj,
                       tuple(entry["splits"]), bool(entry["official_test"]))


def load_dataset(name: str, split: str = "train", data_dir: Any = None, *, seed: Any = 0,
                 val_fraction: float | None = None, **options: Any) -> LabelledData | PairData:
    """Load a named dataset's ``split``; see the table in this module's docstring."""
    info = dataset_info(name)
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        raise ConfigError(f"{info.name}: unknown option(s) {', '.join(unknown)}; accepted: "
                          f"{', '.join(info.options) or 'none'}")
    return info.load(split, data_dir, seed, val_fraction, **options)


READERS.add("dataset", load_dataset, summary="A named dataset (siamkit.registry.DATASETS).",
            keys=("name", "data_dir", "options"), suffixes=(), folder=False, columns=(),
            yields=("labelled", "pairs"), modalities=("image", "text", "vector"))
