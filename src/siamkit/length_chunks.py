"""Chunks of many variable-length inputs for inference: sorted by length, and bounded in tokens.

``SiameseNetwork.encode`` and ``OnnxModel.encode`` embed many texts at once. Sorting them longest
first makes each chunk pad little (as sentence-transformers' ``encode`` does); bounding a chunk's
padded size (rows x its longest row) keeps its activations in cache. A fixed row count does
not: all-MiniLM-L6-v2 on one CPU thread embedded kjv-web verses at 60 sentences/s in chunks of
256 rows and at 95-100/s in chunks of about 2,000 tokens (32 rows of 30-70 tokens), because the
attention and feed-forward activations of 256 rows spill out of the caches. Short texts still go
many to a chunk, where per-call overhead, not memory, is what costs.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

#: Padded tokens (rows x the chunk's longest row) per forward pass in ``encode``.
MAX_TOKENS = 2048


def length_chunks(sizes: np.ndarray, max_rows: int, max_tokens: int = MAX_TOKENS
                  ) -> Iterator[np.ndarray]:
    """Row indices of ``sizes`` (token counts), longest first, in chunks of at most ``max_rows``
    rows and, unless one row alone exceeds it, ``max_tokens`` padded tokens. Every row comes
    exactly once; ties keep their input order."""
    if max_rows < 1 or max_tokens < 1:
        raise ValueError(f"max_rows and max_tokens must be >= 1, got {max_rows}, {max_tokens}")
    sizes = np.asarray(sizes)
    order = np.argsort(-sizes, kind="stable")
    start = 0
    while start < len(order):
        longest = max(int(sizes[order[start]]), 1)  # the first row of a chunk is its longest
        rows = min(max_rows, max(1, max_tokens // longest))
        yield order[start:start + rows]
        start += rows
