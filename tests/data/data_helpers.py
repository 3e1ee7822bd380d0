"""Small generated files for the data tests: IDX arrays, a tiny MNIST-like dataset, images."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

from siamkit.data import IdxDatasetSpec, IdxFile

_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``, written by hand from the format description."""
    array = np.asarray(array)
    header = bytes([0, 0, _CODES[array.dtype], array.ndim])
    header += b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def tiny_arrays(seed: int = 0, n_train: int = 30, n_test: int = 10):
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) % 10).astype(np.uint8),
    }


def tiny_files(seed: int = 0) -> dict[str, tuple[bytes, bytes]]:
    """name -> (raw IDX bytes, gzip bytes with a fixed mtime)."""
    return {name: (idx_bytes(a), gzip.compress(idx_bytes(a), mtime=0))
            for name, a in tiny_arrays(seed).items()}


def tiny_spec(files: dict[str, tuple[bytes, bytes]], mirrors=(), with_raw=True,
              with_gz=True) -> IdxDatasetSpec:
    f = {n: IdxFile(n, md5(gz) if with_gz else None, md5(raw) if with_raw else None)
         for n, (raw, gz) in files.items()}
    return IdxDatasetSpec(name="tiny", folder="tiny", classes=tuple("0123456789"),
                          mirrors=tuple(mirrors), train_images=f["train-images-idx3-ubyte"],
                          train_labels=f["train-labels-idx1-ubyte"],
                          test_images=f["t10k-images-idx3-ubyte"],
                          test_labels=f["t10k-labels-idx1-ubyte"])


def write_files(folder: Path, files: dict[str, tuple[bytes, bytes]], gz: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (raw, packed) in files.items():
        (folder / (name + ".gz" if gz else name)).write_bytes(packed if gz else raw)
