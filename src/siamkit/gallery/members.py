"""Which reference belongs to which identity, in memory, for answering queries fast.

FAISS returns reference ids; a query needs identity names. A NumPy array indexed by reference id
maps a whole batch of search results to identity rows in one step, and a dict maps identity rows
to names. Reference ids are usually small increasing integers (SQLite ``AUTOINCREMENT``), but a
database may hold an id of 10^12, for which such an array would need terabytes: then the map
keeps sorted ids searched with ``np.searchsorted`` instead (:class:`IdMap`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def _dense_limit(count: int) -> int:
    """The largest id a table indexed by id may reach for ``count`` entries (memory ~8x)."""
    return 8 * count + (1 << 20)


class IdMap:
    """int64 keys -> int64 values, looked up in batches; missing keys give -1.

    A table indexed by key while the keys are small for their number (the usual case: ids from
    AUTOINCREMENT), else sorted keys searched with ``np.searchsorted`` (50x slower per lookup,
    but its memory follows the number of keys, not the largest one)."""

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        values = np.asarray(values, dtype=np.int64)
        self._count = len(keys)
        top = int(keys.max(initial=0))
        if keys.min(initial=0) >= 0 and top <= _dense_limit(len(keys)):
            self._table: np.ndarray | None = np.full(max(1024, top + 1), -1, dtype=np.int64)
            self._table[keys] = values
            return
        self._table = None
        order = np.argsort(keys, kind="stable")
        self._keys, self._values = keys[order].copy(), values[order].copy()
        self._n = len(self._keys)

    def put(self, keys: np.ndarray, values: np.ndarray) -> None:
        keys, values = np.asarray(keys, dtype=np.int64), np.asarray(values, dtype=np.int64)
        if not len(keys):
            return
        self._count += len(keys)
        if self._table is not None:
            top = int(keys.max())
            if keys.min() >= 0 and top < len(self._table):
                self._table[keys] = values
                return
            if keys.min() >= 0 and top <= _dense_limit(self._count):
                grow = max(2 * len(self._table), top + 1)
                self._table = np.concatenate(
                    [self._table, np.full(grow - len(self._table), -1, dtype=np.int64)])
                self._table[keys] = values
                return
            held = np.flatnonzero(self._table >= 0)  # too sparse for a table now: sort
            self._keys, self._values = held.astype(np.int64), self._table[held]
            self._n, self._table = len(held), None
        self._put_sorted(keys, values)

    def _put_sorted(self, keys: np.ndarray, values: np.ndarray) -> None:
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
        merged_keys = np.concatenate([old_keys[keep], keys])
        order = np.argsort(merged_keys, kind="stable")
        self._keys = merged_keys[order]
        self._values = np.concatenate([old_values[keep], values])[order]
        self._n = len(self._keys)

    def forget(self, keys: np.ndarray) -> None:
        """Map ``keys`` (those present) to -1, in place."""
        keys = np.asarray(keys, dtype=np.int64)
        if not len(keys):
            return
        if self._table is not None:
            inside = (keys >= 0) & (keys < len(self._table))
            self._table[keys[inside]] = -1
            return
        if self._n == 0:
            return
        at = np.minimum(np.searchsorted(self._keys[:self._n], keys), self._n - 1)
        self._values[at[self._keys[at] == keys]] = -1

    def get(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        if self._table is not None:
            inside = (keys >= 0) & (keys < len(self._table))
            if inside.all():
                return self._table[keys]
            return np.where(inside, self._table[np.where(inside, keys, 0)], -1)
        if self._n == 0:
            return np.full(keys.shape, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._keys[:self._n], keys), self._n - 1)
        return np.where(self._keys[at] == keys, self._values[at], -1)


class Members:
    """Reference id -> identity row -> name, with reference counts per identity."""

    def __init__(self, ref_ids: np.ndarray, ident_ids: np.ndarray,
                 identities: Sequence[tuple[int, str, int]]) -> None:
        """``ref_ids``/``ident_ids``: every reference and its identity row; ``identities``:
        (row, name, number of references) of every identity."""
        self.code_of = IdMap(ref_ids, ident_ids)
        self.row_of = {name: row for row, name, _ in identities}
        self.counts = {row: n for row, _, n in identities}
        self.name_of = {row: name for row, name, _ in identities}
        # identity row -> slot in _names, an object array with spare room: its last slot stays
        # None, so that a missing row (slot -1) reads as None
        self._slot = IdMap(np.array([r for r, _, _ in identities], dtype=np.int64),
                           np.arange(len(identities), dtype=np.int64))
        self._used = len(identities)
        self._names = np.full(max(16, 2 * self._used + 1), None, dtype=object)
        self._names[:self._used] = [n for _, n, _ in identities]
        self._max: int | None = None  # most references of one identity; None = recount

    def __len__(self) -> int:
        return len(self.row_of)

    def add(self, rows: np.ndarray, ids: np.ndarray, names: Sequence[str]) -> None:
        """Record new references ``ids`` of identity rows ``rows``, named ``names`` (per row)."""
        self.code_of.put(ids, rows)
        unique, first, counts = np.unique(rows, return_index=True, return_counts=True)
        new = [(r, names[i]) for r, i in zip(unique.tolist(), first.tolist())
               if r not in self.name_of]
        if new:
            if self._used + len(new) >= len(self._names):  # doubling: adding stays cheap
                grown = np.full(2 * (self._used + len(new)) + 1, None, dtype=object)
                grown[:self._used] = self._names[:self._used]
                self._names = grown
            base = self._used
            self._slot.put(np.array([r for r, _ in new], dtype=np.int64),
                           np.arange(base, base + len(new)))
            self._names[base:base + len(new)] = [n for _, n in new]
            self._used += len(new)
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
        self._slot.forget(np.array([row], dtype=np.int64))
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
        return self.code_of.get(ids)  # -1, FAISS's empty slot, is no key: -1

    def names(self, ids: np.ndarray) -> np.ndarray:
        """Identity names of reference ids (None where the id is -1)."""
        slots = self._slot.get(self.groups(ids))
        return self._names[slots]  # slot -1: the last, None
