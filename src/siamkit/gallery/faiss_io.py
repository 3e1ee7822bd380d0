"""Writing a FAISS index so that a failed write raises instead of printing.

``faiss.write_index(index, filename)`` reports a full disk on stderr ("No space left on device")
and returns normally, leaving a short or empty file. Here FAISS serialises through a
``PyCallbackIOWriter`` into Python's own unbuffered file writes, which raise on ENOSPC, the bytes
are counted and the file's size is compared with the count before the caller renames it into
place (:func:`siamkit.atomic.atomic_path`).
"""

from __future__ import annotations

from pathlib import Path

import faiss

from ..atomic import check_size, write_all


def write_faiss_index(index: faiss.Index | faiss.IndexBinary, file: str | Path, target: str | Path | None = None) -> int:
    """Serialise ``index`` into ``file`` (errors name ``target``, default ``file``); returns the
    number of bytes written, all checked to be on the file."""
    file = Path(file)
    target = Path(target or file)
    written = [0]
    with open(file, "wb", buffering=0) as fh:
        def sink(chunk: bytes) -> int:
            written[0] += write_all(fh, memoryview(chunk), target)
            return len(chunk)

        writer = faiss.PyCallbackIOWriter(sink)
        if isinstance(index, faiss.IndexBinary):
            faiss.write_index_binary(index, writer)
        else:
            faiss.write_index(index, writer)
    check_size(file, written[0], target)
    return written[0]
