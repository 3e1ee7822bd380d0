"""From ranked references to ranked identities, for a whole batch of probes at once.

An identity's score is the score of its best reference (the nearest-neighbour rule), so in a row of
references sorted best first, the identities rank in the order of their first appearance. Doing
this with NumPy over the whole batch, instead of a Python loop per probe, keeps the gallery's
overhead over raw FAISS small for batched queries.
"""

from __future__ import annotations

import numpy as np


def first_per_group(groups: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """For each row of ``groups`` ``[B, n]`` (group ids, -1 = empty slot, rows ordered best first),
    the columns where each group first appears, at most ``k`` per row.

    Returns ``(rows, cols, ranks, counts)``: flat row and column indices in row-major, best-first
    order, the rank of each within its row (0 = best), and how many distinct groups each row has in
    total (which may exceed ``k``).
    """
    groups = np.asarray(groups, dtype=np.int64)
    b, n = groups.shape
    if b == 0 or n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(b, dtype=np.int64)
    width = int(groups.max()) + 1
    keys = np.arange(b, dtype=np.int64)[:, None] * width + groups
    flat = keys.ravel()
    valid = np.flatnonzero(groups.ravel() >= 0)
    # return_index gives the first flat position of each (row, group) key.
    _, first = np.unique(flat[valid], return_index=True)
    positions = np.sort(valid[first])
    rows = positions // n
    counts = np.bincount(rows, minlength=b)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(positions)) - starts[rows]
    keep = rank < k
    return rows[keep], (positions % n)[keep], rank[keep], counts
