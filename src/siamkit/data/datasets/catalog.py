"""Named datasets: ``load_dataset(name, split=..., data_dir=None, ...)`` and ``list_datasets()``.

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
resolved as :func:`siamkit.data.datasets.paths.resolve_data_dir` says. MNIST options: ``download``,
``progress``, ``verify``, ``mirrors``; digits: ``test_fraction``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ...errors import ConfigError
from ..containers import LabelledData, PairData
from .digits import load_digits
from .kjv_web import load_kjv_web
from .mnist import FASHION_MNIST, MNIST, IdxDatasetSpec, load_idx_dataset
from ..splits import train_val_split


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    options: tuple[str, ...]
    load: Callable[..., Any]


def _idx_loader(spec: IdxDatasetSpec) -> Callable[..., LabelledData]:
    def load(split: str, data_dir: Any, seed: Any, val_fraction: float | None, **options: Any):
        if split == "val" and not val_fraction:
            raise ConfigError(f"{spec.name}: split='val' needs val_fraction > 0 (e.g. 0.1), a "
                              f"seeded, stratified part of the training images")
        if split not in ("train", "val") or not val_fraction:
            return load_idx_dataset(spec, split, data_dir, **options)
        train, val = train_val_split(load_idx_dataset(spec, "train", data_dir, **options),
                                     val_fraction, seed)
        return train if split == "train" else val
    return load


def _digits(split: str, data_dir: Any, seed: Any, val_fraction: float | None, **options: Any):
    return load_digits(split, seed=seed, val_fraction=0.2 if val_fraction is None else val_fraction,
                       **options)


def _kjv(split: str, data_dir: Any, seed: Any, val_fraction: float | None, **options: Any):
    return load_kjv_web(split, data_dir, val_fraction=val_fraction or 0.0, seed=seed)


_IDX_OPTIONS = ("download", "progress", "verify", "mirrors")
DATASETS: dict[str, DatasetInfo] = {
    "digits": DatasetInfo("digits", "scikit-learn's 1,797 8x8 digits, uint8 [N,1,8,8]; no download",
                          ("test_fraction",), _digits),
    "mnist": DatasetInfo("mnist", "MNIST 28x28 digits, 60k train / 10k test; downloads if missing",
                         _IDX_OPTIONS, _idx_loader(MNIST)),
    "fashion-mnist": DatasetInfo("fashion-mnist", "Fashion-MNIST 28x28 clothes, 60k / 10k; "
                                 "downloads if missing", _IDX_OPTIONS, _idx_loader(FASHION_MNIST)),
    "kjv-web": DatasetInfo("kjv-web", "31,095 KJV/WEB verse paraphrase pairs; OT train, NT test",
                           (), _kjv),
}


def list_datasets() -> list[str]:
    """Names accepted by :func:`load_dataset`."""
    return sorted(DATASETS)


def dataset_info(name: str) -> DatasetInfo:
    key = name.strip().lower().replace("_", "-")
    key = {"fashionmnist": "fashion-mnist", "kjv_web": "kjv-web"}.get(key, key)
    if key not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; available: {', '.join(list_datasets())}")
    return DATASETS[key]


def load_dataset(name: str, split: str = "train", data_dir: Any = None, *, seed: Any = 0,
                 val_fraction: float | None = None, **options: Any) -> LabelledData | PairData:
    """Load a named dataset's ``split``; see the table in this module's docstring."""
    info = dataset_info(name)
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        raise ConfigError(f"{info.name}: unknown option(s) {', '.join(unknown)}; accepted: "
                          f"{', '.join(info.options) or 'none'}")
    return info.load(split, data_dir, seed, val_fraction, **options)
