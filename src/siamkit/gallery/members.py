"""Which reference belongs to which identity, in memory, for answering queries fast.

FAISS returns reference ids; a query needs identity names. Reference ids are small increasing
integers (SQLite ``AUTOINCREMENT``), so a NumPy array indexed by reference id maps a whole batch of
search results to identity rows in one step, and another maps identity rows to names.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


class Members:
    """Reference id -> identity row -> name, with reference counts per identity."""

    def __init__(self, ref_ids: np.ndarray, ident_ids: np.ndarray,
                 identities: Sequence[tuple[int, str, int]]) -> None:
        """``ref_ids``/``ident_ids``: every reference and its identity row; ``identities``:
        (row, name, number of references) of every identity."""
        self.code_of = np.full(max(1024, int(ref_ids.max(initial=0)) + 1), -1, dtype=np.int64)
        self.code_of[ref_ids] = ident_ids
        self.row_of = {name: row for row, name, _ in identities}
        self.counts = {row: n for row, _, n in identities}
        self.name_of = np.full(max(16, max(self.counts, default=0) + 1), None, dtype=object)
        for row, name, _ in identities:
            self.name_of[row] = name
        self._max: int | None = None  # most references of one identity; None = recount

    def __len__(self) -> int:
        return len(self.row_of)

    def add(self, rows: np.ndarray, ids: np.ndarray, names: Sequence[str]) -> None:
        """Record new references ``ids`` of identity rows ``rows``, named ``names`` (per row)."""
        if ids[-1] >= len(self.code_of):
            grow = max(len(self.code_of), int(ids[-1]) + 1)
            self.code_of = np.concatenate([self.code_of, np.full(grow, -1, dtype=np.int64)])
        self.code_of[ids] = rows
        top = int(rows.max())
        if top >= len(self.name_of):
            grow = max(len(self.name_of), top + 1)
            self.name_of = np.concatenate([self.name_of, np.full(grow, None, dtype=object)])
        unique, first, counts = np.unique(rows, return_index=True, return_counts=True)
        for row, i, n in zip(unique.tolist(), first.tolist(), counts.tolist()):
            self.name_of[row] = names[i]
            self.row_of[names[i]] = row
            self.counts[row] = self.counts.get(row, 0) + n
            if self._max is not None:
                self._max = max(self._max, self.counts[row])

    def remove(self, name: str, ids: np.ndarray) -> None:
        row = self.row_of.pop(name)
        self.code_of[ids] = -1
        self.name_of[row] = None
        if self.counts.pop(row) == self._max:
            self._max = None

    def count(self, name: str) -> int:
        row = self.row_of.get(name)
        return 0 if row is None else self.counts[row]

    def max_references(self) -> int:
        """The most references one identity has (recounted only after a removal)."""
        if self._max is None:
            self._max = max(self.counts.values(), default=0)
        return self._max

    def groups(self, ids: np.ndarray) -> np.ndarray:
        """Identity rows of reference ids (-1 where the id is -1, FAISS's empty slot)."""
        return np.where(ids >= 0, self.code_of[np.maximum(ids, 0)], -1)

    def names(self, ids: np.ndarray) -> np.ndarray:
        """Identity names of reference ids (None where the id is -1)."""
        groups = self.groups(ids)
        return np.where(groups >= 0, self.name_of[np.maximum(groups, 0)], None)
