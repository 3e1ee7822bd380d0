"""scikit-learn's bundled 8 x 8 handwritten digits: the built-in dataset that needs no download.

1,797 images of the UCI "Optical Recognition of Handwritten Digits" set (Alpaydin & Kaynak, 1998),
shipped inside scikit-learn. The 0-16 intensities are scaled to uint8 0-255
(``round(v * 255 / 16)``) so that they look like every other image dataset: ``x`` uint8
``[N, 1, 8, 8]``, classes ``"0"``..``"9"``.

The split is deterministic for a seed: stratified by class, ``test_fraction`` to test, then
``val_fraction`` (of the whole) to validation, the rest to training. ``ids`` index the 1,797 images,
so splits of one seed never share an id (see :func:`siamkit.data.splits.check_no_leakage`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ...errors import ConfigError
from ...registry import DATASETS
from ..containers import LabelledData
from ..seeding import SeedLike
from ..splits import train_val_test_split

SPLITS = ("train", "val", "test", "all")


def load_digits(split: str = "train", *, seed: SeedLike = 0, val_fraction: float = 0.2,
                test_fraction: float = 0.2) -> LabelledData:
    """The digits of ``split`` (``"train"``, ``"val"``, ``"test"`` or ``"all"``)."""
    if split not in SPLITS:
        raise ConfigError(f"digits: unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    from sklearn.datasets import load_digits as sklearn_digits  # imported here: keeps import fast

    bunch = sklearn_digits()
    images = np.rint(bunch.images * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
    data = LabelledData(torch.from_numpy(images).unsqueeze(1),
                        torch.from_numpy(bunch.target.astype(np.int64)),
                        [str(c) for c in bunch.target_names], "digits/all")
    if split == "all":
        return data
    train, val, test = train_val_test_split(data, val_fraction, test_fraction, seed)
    return {"train": train, "val": val, "test": test}[split]


@DATASETS.register("digits", splits=SPLITS, official_test=False, options=("test_fraction",),
                   yields="labelled", modality="image")
def digits_dataset(split: str, data_dir: Any, seed: SeedLike, val_fraction: float | None,
                   **options: Any) -> LabelledData:
    """scikit-learn's 1,797 8x8 digits, uint8 [N,1,8,8]; no download"""
    return load_digits(split, seed=seed, val_fraction=0.2 if val_fraction is None else val_fraction,
                       **options)
