"""Huge-but-small image files for the limit tests: a PNG of W x H black pixels written row by row
through zlib, so that a 12000 x 12000 file (140 KB) is made without holding its 144 M pixels."""

from __future__ import annotations

import struct
import zlib


def blank_png(width: int, height: int, channels: int = 3, rows: int | None = None) -> bytes:
    """A valid PNG of ``width`` x ``height`` black pixels (``channels`` 1: grey, 3: RGB); a
    4096 x 4096 RGB one is 49 KB, as in issue 16. ``rows``: write only that many rows of pixel
    data (a file whose header claims the full size, which is all a size check before decoding,
    or PIL's decompression-bomb check in ``Image.open``, ever reads)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    colour_type = {1: 0, 3: 2}[channels]
    packer = zlib.compressobj(6)
    row = b"\0" * (1 + width * channels)  # filter byte 0, then the row's samples
    block = max(1, 4_000_000 // len(row))  # rows per call: fewer, larger calls are faster
    written = height if rows is None else rows
    data = b"".join(packer.compress(row * min(block, written - start))
                    for start in range(0, written, block)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
            + chunk(b"IEND", b""))
