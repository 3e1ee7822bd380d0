"""Stop-gap MNIST reader until :func:`siamkit.data.load_dataset` lands on main (then this goes)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from ..errors import DataError


def load_mnist(split: str, data_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    if split not in ("train", "test"):
        raise DataError(f"mnist: unknown split {split!r}; expected train or test")
    root = Path(data_dir or os.environ.get("SIAMKIT_DATA") or Path.home() / ".cache" / "siamkit") / "mnist"
    prefix = "train" if split == "train" else "t10k"
    arrays = []
    for kind, dims in (("images-idx3-ubyte", 3), ("labels-idx1-ubyte", 1)):
        path = next((p for p in (root / f"{prefix}-{kind}.gz", root / f"{prefix}-{kind}") if p.is_file()), None)
        if path is None:
            raise DataError(f"mnist: {root / (prefix + '-' + kind)}[.gz] not found; set SIAMKIT_DATA to a folder with mnist/")
        data = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
        shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
        arrays.append(np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape))
    return arrays[0], arrays[1].astype(np.int64)
