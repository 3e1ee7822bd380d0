"""MNIST-format datasets: content verification, structure checks, and the real files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch
from data_helpers import idx_bytes, tiny_arrays, tiny_files, tiny_spec, write_files

from siamkit.data import check_no_leakage, load_dataset, load_idx_dataset
from siamkit.errors import ConfigError, DataError, SiamkitWarning


def test_raw_files_verified_by_raw_hash(tmp_path):
    files = tiny_files()
    write_files(tmp_path / "tiny", files, gz=False)
    data = load_idx_dataset(tiny_spec(files), "train", tmp_path, download=False)
    assert data.x.shape == (30, 1, 28, 28) and data.x.dtype == torch.uint8
    np.testing.assert_array_equal(data.x[:, 0].numpy(), tiny_arrays()["train-images-idx3-ubyte"])
    assert data.classes == list("0123456789") and data.name == "tiny/train"


def test_recompressed_gz_accepted_by_raw_hash(tmp_path):
    files = tiny_files()
    recompressed = {n: (raw, gzip.compress(raw, compresslevel=1, mtime=123))
                    for n, (raw, _) in files.items()}
    assert all(recompressed[n][1] != files[n][1] for n in files)
    write_files(tmp_path / "tiny", recompressed)
    assert len(load_idx_dataset(tiny_spec(files), "test", tmp_path, download=False)) == 10


def test_changed_content_rejected(tmp_path):
    files = tiny_files()
    write_files(tmp_path / "tiny", files)
    other = tiny_arrays(seed=1)["t10k-images-idx3-ubyte"]
    (tmp_path / "tiny" / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(other)))
    with pytest.raises(DataError, match="content differs from the published file") as info:
        load_idx_dataset(tiny_spec(files), "test", tmp_path, download=False)
    assert "t10k-images-idx3-ubyte.gz" in str(info.value)
    assert len(load_idx_dataset(tiny_spec(files), "test", tmp_path, download=False,
                                verify=False)) == 10


def test_unverifiable_form_warns(tmp_path):
    files = tiny_files()
    write_files(tmp_path / "tiny", files, gz=False)
    with pytest.warns(SiamkitWarning, match="no published checksum"):
        load_idx_dataset(tiny_spec(files, with_raw=False), "test", tmp_path, download=False)


def _write(folder, arrays):
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        (folder / name).write_bytes(idx_bytes(array))


def test_label_out_of_range(tmp_path):
    arrays = tiny_arrays()
    arrays["t10k-labels-idx1-ubyte"][3] = 12
    _write(tmp_path / "tiny", arrays)
    with pytest.raises(DataError, match=r"label 12 at index 3 is outside 0..9") as info:
        load_idx_dataset(tiny_spec(tiny_files()), "test", tmp_path, download=False, verify=False)
    assert "t10k-labels-idx1-ubyte" in str(info.value)


def test_count_and_shape_mismatch(tmp_path):
    arrays = tiny_arrays()
    arrays["t10k-labels-idx1-ubyte"] = arrays["t10k-labels-idx1-ubyte"][:-1]
    arrays["train-images-idx3-ubyte"] = arrays["train-images-idx3-ubyte"][:, :20]
    _write(tmp_path / "tiny", arrays)
    spec = tiny_spec(tiny_files())
    with pytest.raises(DataError, match="expected 10 labels"):
        load_idx_dataset(spec, "test", tmp_path, download=False, verify=False)
    with pytest.raises(DataError, match=r"expected uint8 images of shape \[N, 28, 28\]"):
        load_idx_dataset(spec, "train", tmp_path, download=False, verify=False)


def test_ids_unique_across_splits(tmp_path):
    files = tiny_files()
    write_files(tmp_path / "tiny", files)
    spec = tiny_spec(files)
    train = load_idx_dataset(spec, "train", tmp_path, download=False)
    test = load_idx_dataset(spec, "test", tmp_path, download=False)
    check_no_leakage(train, test)
    assert test.ids.tolist() == list(range(60_000, 60_010))
    with pytest.raises(ConfigError, match="unknown split"):
        load_idx_dataset(spec, "validation", tmp_path, download=False)


# ---- the real MNIST files (SIAMKIT_DATA) -------------------------------------------------------
# Published class counts of MNIST (LeCun et al.), an oracle independent of this loader.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist(real_mnist):
    train = load_dataset("mnist", "train", real_mnist, download=False)
    test = load_dataset("mnist", "test", real_mnist, download=False)
    assert train.x.shape == (60_000, 1, 28, 28) and train.x.dtype == torch.uint8
    assert train.class_counts().tolist() == TRAIN_COUNTS
    assert test.class_counts().tolist() == TEST_COUNTS
    assert train.y[:5].tolist() == [5, 0, 4, 1, 9]  # the well-known first training labels
    assert int(train.x.max()) == 255 and int(train.x.min()) == 0
    check_no_leakage(train, test)


def test_real_mnist_validation_split(real_mnist):
    train = load_dataset("mnist", "train", real_mnist, val_fraction=0.1, seed=3, download=False)
    val = load_dataset("mnist", "val", real_mnist, val_fraction=0.1, seed=3, download=False)
    assert (len(train), len(val)) == (54_000, 6_000)
    check_no_leakage(train, val)
    share = val.class_counts().double() / torch.tensor(TRAIN_COUNTS).double()
    assert torch.allclose(share, torch.full((10,), 0.1, dtype=torch.float64), atol=0.002)
