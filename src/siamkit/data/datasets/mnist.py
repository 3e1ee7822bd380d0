"""MNIST and Fashion-MNIST from their standard IDX files, raw or .gz, verified and downloadable.

MNIST: LeCun, Bottou, Bengio & Haffner (1998), "Gradient-based learning applied to document
recognition". Fashion-MNIST: Xiao, Rasul & Vollgraf (2017), arXiv:1708.07747. Both: 60,000 training
and 10,000 test images of 28 x 28 uint8, 10 classes, in ``<data_dir>/mnist/`` and
``<data_dir>/fashion-mnist/`` under the usual names (``train-images-idx3-ubyte`` with or without
``.gz``; see :mod:`siamkit.data.datasets.paths`).

Verification: a file is accepted when its .gz MD5 is the published one, or when the MD5 of its
decompressed content is the canonical raw file's (so re-compressed copies pass). Where no raw hash
is published (Fashion-MNIST) a re-compressed or raw copy is checked for shape and label range only,
and a :class:`siamkit.errors.SiamkitWarning` says so. Missing files are downloaded from the mirrors
in turn (:func:`.download.download_file`); if that fails, the error says which files to
put where. ``ids`` are 0..59,999 for training and 60,000..69,999 for test images, unique across
splits.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from ...errors import ConfigError, DataError, DownloadError, SiamkitWarning
from ...registry import DATASETS
from ..containers import LabelledData
from ..splits import train_val_split
from .download import download_file, md5_of_file
from .idx import parse_idx, read_bytes
from .paths import resolve_data_dir, where_from


@dataclass(frozen=True)
class IdxFile:
    """One IDX file: its raw name, the published MD5s of its .gz and raw forms (None: unknown)."""

    name: str
    gz_md5: str | None = None
    raw_md5: str | None = None


@dataclass(frozen=True)
class IdxDatasetSpec:
    """An image-classification dataset of four IDX files (train/test images and labels)."""

    name: str
    folder: str
    classes: tuple[str, ...]
    mirrors: tuple[str, ...]
    train_images: IdxFile
    train_labels: IdxFile
    test_images: IdxFile
    test_labels: IdxFile
    image_shape: tuple[int, int] = (28, 28)
    test_id_offset: int = 60_000  # test ids follow the training ids, so ids are unique

    def files(self) -> tuple[IdxFile, ...]:
        return (self.train_images, self.train_labels, self.test_images, self.test_labels)


MNIST = IdxDatasetSpec(
    name="mnist", folder="mnist", classes=tuple(str(d) for d in range(10)),
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "https://storage.googleapis.com/cvdf-datasets/mnist/",
             "http://yann.lecun.com/exdb/mnist/"),
    train_images=IdxFile("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                         "6bbc9ace898e44ae57da46a324031adb"),
    train_labels=IdxFile("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432",
                         "a25bea736e30d166cdddb491f175f624"),
    test_images=IdxFile("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3",
                        "2646ac647ad5339dbf082846283269ea"),
    test_labels=IdxFile("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c",
                        "27ae3e4e09519cfbb04c329615203637"),
)

FASHION_MNIST = IdxDatasetSpec(
    name="fashion-mnist", folder="fashion-mnist",
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
             "Bag", "Ankle boot"),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
             "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
             "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"),
    train_images=IdxFile("train-images-idx3-ubyte", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    train_labels=IdxFile("train-labels-idx1-ubyte", "25c81989df183df01b3e8a0aad5dffbe"),
    test_images=IdxFile("t10k-images-idx3-ubyte", "bef4ecab320f06d8554ea6380940ec79"),
    test_labels=IdxFile("t10k-labels-idx1-ubyte", "bb300cfdad3c16e7a12a480ee83cd310"),
)


def find_idx_file(folder: Path, f: IdxFile) -> Path | None:
    """``folder/name`` or ``folder/name.gz``, whichever exists (raw first)."""
    for candidate in (folder / f.name, folder / f"{f.name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def ensure_files(spec: IdxDatasetSpec, folder: Path, files: tuple[IdxFile, ...], *,
                 download: bool, progress: bool, mirrors: tuple[str, ...] | None,
                 how: str) -> list[Path]:
    """The paths of ``files`` in ``folder``, downloading missing ones when ``download``."""
    mirrors = tuple(mirrors) if mirrors is not None else spec.mirrors
    missing = [f for f in files if find_idx_file(folder, f) is None]
    source = f" from {spec.mirrors[0]}" if spec.mirrors else ""
    put = (f"put {', '.join(f.name + '.gz' for f in spec.files())} (raw or .gz){source} "
           f"into {folder}/ (data directory from {how})")
    if missing and not download:
        raise DataError(f"{spec.name}: missing {', '.join(f.name + '[.gz]' for f in missing)} in "
                        f"{folder}/; {put}, or pass download=True")
    for f in missing:
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + f"/{f.name}.gz"
            try:
                download_file(url, folder / f"{f.name}.gz", md5=f.gz_md5, progress=progress)
                break
            except DownloadError as exc:
                failures.append(str(exc))
        else:
            raise DownloadError(f"{spec.name}: could not download {f.name}.gz ("
                                f"{'; '.join(failures) or 'no mirror given'}). To fix: {put}")
    return [find_idx_file(folder, f) for f in files]  # type: ignore[misc]


def _read_verified(path: Path, f: IdxFile, verify: bool) -> np.ndarray:
    raw = read_bytes(path)
    if verify:
        if f.gz_md5 and path.suffix == ".gz" and md5_of_file(path) == f.gz_md5:
            pass
        elif f.raw_md5:
            got = hashlib.md5(raw, usedforsecurity=False).hexdigest()
            if got != f.raw_md5:
                raise DataError(f"{path}: content differs from the published file (MD5 of the "
                                f"decompressed data {got}, expected {f.raw_md5}); delete it and "
                                f"load again to download a fresh copy")
        else:
            warnings.warn(f"{path}: no published checksum for this form of the file; checked its "
                          f"shape and labels only", SiamkitWarning, stacklevel=4)
    return parse_idx(raw, str(path))


def _load_part(spec: IdxDatasetSpec, images: Path, labels: Path, fi: IdxFile, fl: IdxFile,
               verify: bool) -> tuple[np.ndarray, np.ndarray]:
    x, y = _read_verified(images, fi, verify), _read_verified(labels, fl, verify)
    if x.ndim != 3 or x.shape[1:] != spec.image_shape or x.dtype != np.uint8:
        raise DataError(f"{images}: expected uint8 images of shape [N, {spec.image_shape[0]}, "
                        f"{spec.image_shape[1]}], got {x.dtype} {list(x.shape)}")
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{labels}: expected {len(x)} labels (one per image in {images.name}), "
                        f"got shape {list(y.shape)}")
    bad = np.flatnonzero((y < 0) | (y >= len(spec.classes)))
    if len(bad):
        raise DataError(f"{labels}: label {int(y[bad[0]])} at index {int(bad[0])} is outside "
                        f"0..{len(spec.classes) - 1}")
    return x, y


def load_idx_dataset(spec: IdxDatasetSpec, split: str = "train", data_dir=None, *,
                     download: bool = True, progress: bool = True, verify: bool = True,
                     mirrors: tuple[str, ...] | None = None) -> LabelledData:
    """Images ``uint8 [N, 1, 28, 28]`` and labels of split ``"train"``, ``"test"`` or ``"all"``."""
    if split not in ("train", "test", "all"):
        raise ConfigError(f"{spec.name}: unknown split {split!r}; expected train, test or all")
    folder = resolve_data_dir(data_dir) / spec.folder
    parts = [("train", spec.train_images, spec.train_labels, 0),
             ("test", spec.test_images, spec.test_labels, spec.test_id_offset)]
    xs, ys, ids = [], [], []
    for part, fi, fl, offset in parts:
        if split not in (part, "all"):
            continue
        img_path, lbl_path = ensure_files(spec, folder, (fi, fl), download=download,
                                          progress=progress, mirrors=mirrors,
                                          how=where_from(data_dir))
        x, y = _load_part(spec, img_path, lbl_path, fi, fl, verify)
        xs.append(x)
        ys.append(y)
        ids.append(np.arange(len(y)) + offset)
    x = torch.from_numpy(np.concatenate(xs)).unsqueeze(1)
    return LabelledData(x, torch.from_numpy(np.concatenate(ys).astype(np.int64)),
                        list(spec.classes), f"{spec.name}/{split}",
                        torch.from_numpy(np.concatenate(ids)), info={"folder": str(folder)})


def idx_dataset_loader(spec: IdxDatasetSpec) -> Callable[..., LabelledData]:
    """The registry's ``load(split, data_dir, seed, val_fraction, **options)`` for ``spec``:
    its official splits, and ``"val"``, a seeded stratified part of ``"train"``."""

    def load(split: str, data_dir: Any, seed: Any, val_fraction: float | None,
             **options: Any) -> LabelledData:
        if split == "val" and not val_fraction:
            raise ConfigError(f"{spec.name}: split='val' needs val_fraction > 0 (e.g. 0.1), a "
                              f"seeded, stratified part of the training images")
        if split not in ("train", "val") or not val_fraction:
            return load_idx_dataset(spec, split, data_dir, **options)
        train, val = train_val_split(load_idx_dataset(spec, "train", data_dir, **options),
                                     val_fraction, seed)
        return train if split == "train" else val

    return load


_FACTS = dict(splits=("train", "val", "test", "all"), official_test=True,
              options=("download", "progress", "verify", "mirrors"), yields="labelled",
              modality="image")
DATASETS.add("mnist", idx_dataset_loader(MNIST), **_FACTS,
             summary="MNIST 28x28 digits, 60k train / 10k test; downloads if missing")
DATASETS.add("fashion-mnist", idx_dataset_loader(FASHION_MNIST), aliases=("fashionmnist",),
             **_FACTS, summary="Fashion-MNIST 28x28 clothes, 60k / 10k; downloads if missing")
