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

from typing import Any, Callable, Iterator

import numpy as np
import torch
from torch import Tensor

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


def encode_in_chunks(embed: Callable[[Any], Tensor], inputs: Any, adapter: Any,
                     batch_size: int, width: int, progress: bool = False) -> Tensor:
    """``embed`` over ``inputs`` (a tensor or a list): ``batch_size`` rows at a time in order, or,
    where ``adapter.sizes(inputs)`` knows their sizes, in :func:`length_chunks`; the rows come
    back in the order of ``inputs``, as float32 on the CPU (``[0, width]`` when there are none)."""
    n = len(inputs)
    sizes_of = getattr(adapter, "sizes", None)
    sizes = sizes_of(inputs) if sizes_of is not None and n > 1 else None
    chunks: Any = (list(length_chunks(sizes, batch_size)) if sizes is not None
                   else [slice(s, s + batch_size) for s in range(0, n, batch_size)])
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, desc="embedding", unit="batch")
    parts, rows = [], []
    for chunk in chunks:
        if isinstance(chunk, slice):
            part = inputs[chunk]
        else:
            rows.append(chunk)
            part = (inputs[torch.from_numpy(chunk)] if isinstance(inputs, Tensor)
                    else [inputs[i] for i in chunk])
        parts.append(embed(part).float().cpu())
    if not parts:
        return torch.zeros((0, width))
    out = torch.cat(parts)
    if rows:  # back to the order of the inputs
        out = torch.empty_like(out).index_copy_(0, torch.from_numpy(np.concatenate(rows)), out)
    return out
