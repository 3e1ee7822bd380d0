"""Reading IDX files, the format of MNIST and Fashion-MNIST, raw or gzip-compressed.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32
sizes, then the values in row-major order (LeCun et al., "The MNIST database of handwritten
digits", http://yann.lecun.com/exdb/mnist/). Every way a file can be broken (missing, not gzip
though named .gz, truncated gzip stream, wrong magic, body shorter or longer than the header says)
raises :class:`siamkit.errors.DataError` naming the file and the problem.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from ...errors import DataError

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str | Path) -> bytes:
    """The file's content, decompressed when it is gzip (detected from its first bytes)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not data.startswith(_GZIP_MAGIC):
        if path.suffix == ".gz":
            raise DataError(f"{path}: named .gz but is not gzip data")
        return data
    try:
        return gzip.decompress(data)
    except EOFError:
        raise DataError(f"{path}: truncated .gz file (the compressed stream ends early; "
                        f"download it again)") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise DataError(f"{path}: corrupt .gz file ({exc})") from None


def parse_idx(data: bytes, source: str) -> np.ndarray:
    """The array held by IDX bytes ``data``; ``source`` names the file in error messages."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        head = data[:4].hex(" ") if data else "empty file"
        raise DataError(f"{source}: wrong magic number ({head}); not an IDX file")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{source}: truncated IDX header ({len(data)} bytes, needs {header})")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_TYPES[data[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = len(data) - header
    if body < expected:
        raise DataError(f"{source}: truncated IDX body: header says shape {shape} "
                        f"({expected} bytes) but only {body} bytes follow")
    if body > expected:
        raise DataError(f"{source}: {body - expected} unexpected bytes after the IDX data "
                        f"of shape {shape}")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (raw or .gz) into a native-endian NumPy array."""
    return parse_idx(read_bytes(path), str(path))
