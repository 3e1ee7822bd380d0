"""Which reference belongs to which identity, in memory, for answering queries fast.

FAISS returns reference ids; a query needs identity names. A sorted array of reference ids with
their identity rows, searched with ``np.searchsorted``, maps a whole batch of search results to
identity rows in one step, whatever the ids are: they are usually small increasing integers
(SQLite ``AUTOINCREMENT``), but a database may hold an id of 10^12, and a table indexed by id would
then need terabytes. New ids are larger than all before, so enrolling appends (amortised O(1)).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


class SortedMap:
    """int64 keys -> int64 values, searched in batches; missing keys give -1."""

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self._keys = np.ascontiguousarray(keys[order], dtype=np.int64)
        self._values = np.ascontiguousarray(values[order], dtype=np.int64)
        self._n = len(self._keys)

    def put(self, keys: np.ndarray, values: np.ndarray) -> None:
        keys, values = np.asarray(keys, dtype=np.int64), np.asarray(values, dtype=np.int64)
        if not len(keys):
            return
        n = self._n
        if (n == 0 or keys[0] > self._keys[n - 1]) and np.all(keys[1:] > keys[:-1]):
            if n + len(keys) > len(self._keys):  # grow by doubling: appends stay cheap
                size = max(2 * len(self._keys), n + len(keys), 1024)
                self._keys = np.resize(self._keys, size)
                self._values = np.resize(self._values, size)
            self._keys[n:n + len(keys)] = keys
            self._values[n:n + len(keys)] = values
            self._n += len(keys)
            return
        old_keys, old_values = self._keys[:n], self._values[:n]
        keep = ~np.isin(old_keys, keys)
        self.__init__(np.concatenate([old_keys[keep], keys]),
                      np.concatenate([old_values[keep], values]))

    def forget(self, keys: np.ndarray) -> None:
        """Map ``keys`` (those present) to -1, in place."""
        keys = np.asarray(keys, dtype=np.int64)
        if self._n == 0 or not len(keys):
            return
        at = np.minimum(np.searchsorted(self._keys[:self._n], keys), self._n - 1)
        self._values[at[self._keys[at] == keys]] = -1

    def get(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        if self._n == 0:
            return np.full(keys.shape, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._keys[:self._n], keys), self._n - 1)
        found = self._keys[at] == keys
        return np.where(found, self._values[at], -1)


class Members:
    """Reference id -> identity row -> name, with reference counts per identity."""

    def __init__(self, ref_ids: np.ndarray, ident_ids: np.ndarray,
                 identities: Sequence[tuple[int, str, int]]) -> None:
        """``ref_ids``/``ident_ids``: every reference and its identity row; ``identities``:
        (row, name, number of references) of every identity."""
        self.code_of = SortedMap(ref_ids, ident_ids)
        self.row_of = {name: row for row, name, _ in identities}
        self.counts = {row: n for row, _, n in identities}
        self.name_of = {row: name for row, name, _ in identities}
        self._max: int | None = None  # most references of one identity; None = recount

    def __len__(self) -> int:
        return len(self.row_of)

    def add(self, rows: np.ndarray, ids: np.ndarray, names: Sequence[str]) -> None:
        """Record new references ``ids`` of identity rows ``rows``, named ``names`` (per row)."""
        self.code_of.put(ids, rows)
        unique, first, counts = np.unique(rows, return_index=True, return_counts=True)
        for row, i, n in zip(unique.tolist(), first.tolist(), counts.tolist()):
            self.name_of[row] = names[i]
            self.row_of[names[i]] = row
            self.counts[row] = self.counts.get(row, 0) + n
            if self._max is not None:
                self._max = max(self._max, self.counts[row])

    def remove(self, name: str, ids: np.ndarray) -> None:
        row = self.row_of.pop(name)
        self.code_of.forget(ids)
        self.name_of.pop(row, None)
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
        return np.where(ids >= 0, self.code_of.get(ids), -1)

    def names(self, ids: np.ndarray) -> np.ndarray:
        """Identity names of reference ids (None where the id is -1)."""
        groups = self.groups(ids)
        out = np.full(groups.shape, None, dtype=object)
        valid = groups >= 0
        rows, where = np.unique(groups[valid], return_inverse=True)
        out[valid] = np.array([self.name_of.get(r) for r in rows.tolist()] + [None],
                              dtype=object)[where]
        return out
