"""SQLite storage of a gallery: identities, references (with their embeddings) and gallery settings.

SQLite is the gallery's source of truth. Each reference row keeps its embedding as a blob of
``vectors`` values: "float32" (exact), "float16" (half the bytes, ~3 significant digits), so the
FAISS index is a cache that can always be rebuilt from here; or "none", for a compressed gallery
that keeps only its index's codes: then a row keeps its float32 embedding only until the index
holding it is saved (:meth:`Store.clear_vectors`), so an enrollment is durable before that too.
Every change runs in one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``) with ``synchronous=FULL`` in WAL mode: when
``add`` returns, the rows are on disk, so a killed process loses no acknowledged enrollment.

Reference ids come from ``AUTOINCREMENT`` and are never reused, so the set of ids identifies the
content of the index exactly (embeddings are never modified in place, but with ``vectors="none"``
emptied once a saved index holds them). Each row also keeps the
checksum of its vector as the index stores it (:mod:`siamkit.gallery.integrity`), so the index can
be verified against the database; rows written before checksums existed hold NULL until the next
open fills them in (the column is added in place: older siamkit versions still read and write the
file).

A full disk ("database or disk is full") raises :class:`~siamkit.errors.WriteError`; the
transaction is rolled back, so nothing half-written remains.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..errors import DataError, WriteError

SCHEMA_VERSION = 1
VECTORS = ("float32", "float16", "none")  # how a row keeps its embedding
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
    metadata TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS refs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    identity_id INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
    metadata TEXT NOT NULL DEFAULT '{}', embedding BLOB NOT NULL, created REAL NOT NULL,
    checksum INTEGER);
CREATE INDEX IF NOT EXISTS refs_by_identity ON refs(identity_id);
"""
_INSERT_REF = ("INSERT INTO refs (id, identity_id, metadata, embedding, created, checksum) "
               "VALUES (?, ?, ?, ?, ?, ?)")


class Store:
    """One SQLite database (a file, or in memory when ``file`` is None). Not thread-safe by itself:
    the :class:`~siamkit.gallery.Gallery` serialises access with its lock."""

    def __init__(self, file: str | os.PathLike | None, dim: int,
                 checksums: Callable[[np.ndarray], np.ndarray] | None = None,
                 vectors: str = "float32") -> None:
        """``checksums(embeddings)``: the checksum of each new row, given the float32 values the
        row keeps (float16 ones widened for a float16 gallery; none: NULL)."""
        self.file = None if file is None else Path(file)
        self.dim = int(dim)
        self.checksums = checksums
        self.use_vectors(vectors)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so transactions are explicit.
            self.conn = sqlite3.connect(":memory:" if file is None else str(file),
                                        check_same_thread=False, isolation_level=None, timeout=30.0)
            if file is not None:
                self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            with self.transaction() as db:
                for statement in _statements():
                    db.execute(statement)
                columns = {row[1] for row in db.execute("PRAGMA table_info(refs)")}
                if "checksum" not in columns:  # a gallery written before checksums existed
                    db.execute("ALTER TABLE refs ADD COLUMN checksum INTEGER")
        except WriteError:
            self.conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            raise DataError(f"gallery database {file}: not a usable SQLite file ({exc})") from None
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise DataError(f"gallery database {file}: meta schema_version: expected a whole "
                            f"number >= 1, got {version!r}")
        elif version > SCHEMA_VERSION:
            raise DataError(f"gallery database {file}: written by a newer siamkit "
                            f"(schema {version}); upgrade")

    def use_vectors(self, vectors: str) -> None:
        """How embeddings are kept: "float32", "float16" or "none" (see the module docstring)."""
        self.vectors = vectors
        self._dtype = np.dtype("<f2" if vectors == "float16" else "<f4")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and _is_full(exc):
                raise WriteError(f"gallery database {self.file}: could not be written ({exc}); "
                                 "nothing of this change was stored") from None
            raise

    def _sums(self, blobs: np.ndarray) -> list[int | None]:
        if self.checksums is None:
            return [None] * len(blobs)
        return [int(c) for c in self.checksums(blobs.astype(np.float32))]

    # ---- settings ---------------------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except (TypeError, ValueError):
            raise DataError(f"gallery database {self.file}: meta {key}: not valid JSON "
                            f"({str(row[0])[:60]!r})") from None

    def set_meta(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                       (key, json.dumps(value)))

    # ---- writes -----------------------------------------------------------------------------

    def add(self, identity: str, embeddings: np.ndarray, metadata: dict | None,
            ref_metadata: list[dict]) -> tuple[int, np.ndarray]:
        """Insert references of ``identity`` (created if new; ``metadata`` merged into its own).
        Returns the identity's row id and the new reference ids, all committed."""
        now = time.time()
        with self.transaction() as db:
            row = db.execute("SELECT id, metadata FROM identities WHERE name = ?",
                             (identity,)).fetchone()
            if row is None:
                ident_id = db.execute(
                    "INSERT INTO identities (name, metadata, created) VALUES (?, ?, ?)",
                    (identity, json.dumps(metadata or {}), now)).lastrowid
            else:
                ident_id = row[0]
                if metadata:
                    merged = {**json.loads(row[1]), **metadata}
                    db.execute("UPDATE identities SET metadata = ? WHERE id = ?",
                               (json.dumps(merged), ident_id))
            # Inside the write lock the next ids are known, so one executemany inserts them all.
            seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'refs'").fetchone()
            first = (seq[0] if seq else 0) + 1
            ids = np.arange(first, first + len(embeddings), dtype=np.int64)
            blobs = self._encode(embeddings)
            sums = self._sums(blobs)
            db.executemany(
                _INSERT_REF,
                ((int(i), ident_id, json.dumps(m), blobs[j].tobytes(), now, sums[j])
                 for j, (i, m) in enumerate(zip(ids, ref_metadata))),
            )
        return ident_id, ids

    def add_many(self, names: list[str], embeddings: np.ndarray,
                 ref_metadata: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        """Insert one reference per row, row i belonging to ``names[i]`` (identities created as
        needed), in one transaction. Returns (identity ids per row, new reference ids)."""
        now = time.time()
        unique = list(dict.fromkeys(names))
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO identities (name, metadata, created) "
                           "VALUES (?, '{}', ?)", ((name, now) for name in unique))
            ident_of: dict[str, int] = {}
            for start in range(0, len(unique), 500):
                chunk = unique[start:start + 500]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT name, id FROM identities WHERE name IN ({marks})"
                ident_of.update(db.execute(query, chunk))
            idents = np.array([ident_of[name] for name in names], dtype=np.int64)
            seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'refs'").fetchone()
            first = (seq[0] if seq else 0) + 1
            ids = np.arange(first, first + len(embeddings), dtype=np.int64)
            blobs = self._encode(embeddings)
            sums = self._sums(blobs)
            db.executemany(
                _INSERT_REF,
                ((int(ids[j]), int(idents[j]), json.dumps(ref_metadata[j]), blobs[j].tobytes(), now,
                  sums[j]) for j in range(len(ids))),
            )
        return idents, ids

    def remove(self, identity: str) -> tuple[int, np.ndarray] | None:
        """Delete an identity and its references; returns (identity id, reference ids) or None."""
        with self.transaction() as db:
            row = db.execute("SELECT id FROM identities WHERE name = ?", (identity,)).fetchone()
            if row is None:
                return None
            ids = np.array([r[0] for r in db.execute("SELECT id FROM refs WHERE identity_id = ?",
                                                     row)],
                           dtype=np.int64)
            db.execute("DELETE FROM refs WHERE identity_id = ?", row)
            db.execute("DELETE FROM identities WHERE id = ?", row)
        return row[0], ids

    # ---- reads ------------------------------------------------------------------------------

    def identities(self) -> list[tuple[int, str, dict, float, int]]:
        """(id, name, metadata, created, number of references) of every identity, by name."""
        rows = self.conn.execute(
            "SELECT i.id, i.name, i.metadata, i.created, COUNT(r.id) FROM identities i "
            "LEFT JOIN refs r ON r.identity_id = i.id GROUP BY i.id ORDER BY i.name").fetchall()
        return [(r[0], r[1], json.loads(r[2]), r[3], r[4]) for r in rows]

    def identity_embeddings(self, identity: str) -> np.ndarray | None:
        row = self.conn.execute("SELECT id FROM identities WHERE name = ?", (identity,)).fetchone()
        if row is None:
            return None
        blobs = [r[0] for r in self.conn.execute(
            "SELECT embedding FROM refs WHERE identity_id = ? ORDER BY id", row)]
        return self._decode(blobs)

    def identity_ref_ids(self, identity: str) -> np.ndarray | None:
        row = self.conn.execute("SELECT id FROM identities WHERE name = ?", (identity,)).fetchone()
        if row is None:
            return None
        return np.array([r[0] for r in self.conn.execute(
            "SELECT id FROM refs WHERE identity_id = ? ORDER BY id", row)], dtype=np.int64)

    def embeddings(self, ids: np.ndarray) -> np.ndarray:
        """Stored embeddings of reference ids ``[n]`` -> ``[n, dim]`` float32, in that order."""
        wanted = np.asarray(ids, dtype=np.int64).ravel()
        unique = np.unique(wanted)
        found: dict[int, bytes] = {}
        for start in range(0, len(unique), 900):
            chunk = unique[start:start + 900].tolist()
            marks = ",".join("?" * len(chunk))
            found.update(self.conn.execute(
                f"SELECT id, embedding FROM refs WHERE id IN ({marks})", chunk))
        try:
            return self._decode([found[i] for i in wanted.tolist()])
        except KeyError as exc:
            raise DataError(f"gallery database {self.file}: no reference {exc}") from None

    def references(self, ids: np.ndarray) -> dict[int, dict]:
        """Metadata of the given reference ids."""
        out: dict[int, dict] = {}
        ids = [int(i) for i in ids]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id, metadata FROM refs WHERE id IN ({marks})"
            for rid, meta in self.conn.execute(query, chunk):
                out[rid] = json.loads(meta)
        return out

    def ref_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(reference ids, identity ids), sorted by reference id."""
        rows = self.conn.execute("SELECT id, identity_id FROM refs ORDER BY id").fetchall()
        arr = np.array(rows, dtype=np.int64).reshape(-1, 2)
        return arr[:, 0].copy(), arr[:, 1].copy()

    def iter_embeddings(self, chunk: int = 65536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All (ids, embeddings) kept, in id order, ``chunk`` rows at a time (to rebuild the
        index); with ``vectors="none"`` only those not yet in a saved index."""
        last = 0
        while True:
            rows = self.conn.execute(
                "SELECT id, embedding FROM refs WHERE id > ? AND length(embedding) > 0 "
                "ORDER BY id LIMIT ?",
                (last, chunk)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield np.array([r[0] for r in rows], dtype=np.int64), self._decode([r[1] for r in rows])

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM refs").fetchone()[0]

    def count_without_vectors(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM refs WHERE length(embedding) = 0"
                                 ).fetchone()[0]

    def clear_vectors(self) -> None:
        """Drop the embeddings kept until a saved index held them (``vectors="none"`` only)."""
        if self.vectors != "none":
            raise RuntimeError("clear_vectors: this gallery keeps its vectors")
        with self.transaction() as db:
            db.execute("UPDATE refs SET embedding = x'' WHERE length(embedding) > 0")

    def as_kept(self, embeddings: np.ndarray) -> np.ndarray:
        """float32 ``embeddings`` as this database keeps them (rounded to float16 for a float16
        gallery), so that the index holds what a rebuild from here would give it."""
        if self._dtype.itemsize == 4:
            return np.ascontiguousarray(embeddings, dtype=np.float32)
        return self._encode(embeddings).astype(np.float32)

    def _encode(self, embeddings: np.ndarray) -> np.ndarray:
        blobs = np.ascontiguousarray(embeddings, dtype=self._dtype)
        if self._dtype.itemsize == 2 and not np.isfinite(blobs).all():
            raise DataError("embeddings: values beyond float16's range (65504) cannot be kept as "
                            "float16; keep float32 vectors")
        return blobs

    def _decode(self, blobs: list[bytes]) -> np.ndarray:
        if any(len(b) != self._dtype.itemsize * self.dim for b in blobs):
            raise DataError(f"gallery database {self.file}: an embedding blob is not "
                            f"{self.dim} {self._dtype.name} values")
        return np.frombuffer(b"".join(blobs), dtype=self._dtype).reshape(-1, self.dim).astype(
            np.float32)

    def backup_to(self, file: Path) -> None:
        """Copy the whole database into ``file`` (consistent snapshot, via SQLite's backup API)."""
        target = sqlite3.connect(str(file))
        try:
            self.conn.backup(target)
        finally:
            target.close()

    def close(self) -> None:
        self.conn.close()


def _is_full(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_FULL or "full" in str(exc).lower()


def _statements() -> list[str]:
    return [s.strip() for s in _SCHEMA.split(";") if s.strip()]
