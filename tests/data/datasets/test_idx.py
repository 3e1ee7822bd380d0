"""IDX reading: round trips, and every broken-file case raises a DataError naming the file."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from data_helpers import idx_bytes

from siamkit.data import read_idx
from siamkit.errors import DataError


@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.array([7, 0, 255], dtype=np.uint8),
    np.array([[-5, 1 << 20], [3, 4]], dtype=np.int32),
    np.array([0.5, -2.25], dtype=np.float32),
])
@pytest.mark.parametrize("packed", [False, True])
def test_round_trip_raw_and_gz(tmp_path, array, packed):
    data = idx_bytes(array)
    path = tmp_path / ("a.idx.gz" if packed else "a.idx")
    path.write_bytes(gzip.compress(data) if packed else data)
    out = read_idx(path)
    assert out.dtype == array.dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_known_header_bytes(tmp_path):
    # MNIST label files start 00 00 08 01 then the count, big-endian
    path = tmp_path / "labels"
    path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4]))
    np.testing.assert_array_equal(read_idx(path), [5, 0, 4])


def _broken(tmp_path, content: bytes, name="bad-idx"):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    return str(info.value)


def test_wrong_magic(tmp_path):
    assert "wrong magic number" in _broken(tmp_path, b"\x12\x34\x56\x78" + b"\0" * 20)
    assert "wrong magic number" in _broken(tmp_path, b"", "empty")
    assert "wrong magic number" in _broken(tmp_path, bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 1]), "type")


def test_truncated_body_and_header(tmp_path):
    data = idx_bytes(np.zeros((4, 5, 5), dtype=np.uint8))
    message = _broken(tmp_path, data[:-7])
    assert "truncated IDX body" in message and "93 bytes" in message
    assert "truncated IDX header" in _broken(tmp_path, data[:9], "short-header")


def test_extra_bytes(tmp_path):
    assert "3 unexpected bytes" in _broken(tmp_path, idx_bytes(np.zeros(4, np.uint8)) + b"abc")


def test_truncated_gz(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    assert "truncated .gz" in _broken(tmp_path, packed[: len(packed) // 2], "cut.gz")


def test_corrupt_gz_crc(tmp_path):
    packed = bytearray(gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8))))
    packed[-6] ^= 0xFF  # inside the CRC32 trailer
    assert "corrupt .gz" in _broken(tmp_path, bytes(packed), "crc.gz")


def test_gz_name_but_not_gzip(tmp_path):
    assert "not gzip" in _broken(tmp_path, idx_bytes(np.zeros(2, np.uint8)), "plain.gz")


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_idx(tmp_path / "nope-idx3-ubyte")
