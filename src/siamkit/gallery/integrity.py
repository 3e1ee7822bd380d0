"""Is a gallery whole? Checks of the database against itself and of the index against the database.

The database (SQLite) is the truth; the FAISS index is a cache of it. Each reference row keeps a
64-bit checksum of its vector *as the index stores it* (normalised where the index normalises),
written in the same transaction as the row. So the index is verified against the database, not
against its own file or ``index.json``, which whoever rewrote the index may have rewritten too.

What is checked when (the open must stay cheap; the full check reads every stored embedding):

* at every open: blobs of the wrong size and references of no identity (two SQL counts), and,
  when a saved index is loaded, every vector it holds against the stored checksums (hashing the
  index in memory, one integer column read from SQLite). A mismatch rebuilds the index from the
  database, with a warning; a bad row refuses the open, naming the rows and the repair.
* by :func:`check_database` / ``siamkit gallery check``: also SQLite's own ``integrity_check``,
  non-finite embeddings, and each stored embedding against its checksum (a change in the
  database after enrollment). ``--repair`` deletes the rows that cannot be used (wrong size,
  non-finite, of no identity), fills in missing checksums and rebuilds the index.

Galleries written before checksums existed have NULL checksums: the first open computes them from
the stored embeddings (logged), so from then on the index is verified like any other.

What a checksum covers depends on how the gallery keeps its vectors (``Gallery(vectors=...)``):

* ``"float32"``: the stored float32 vector, as above.
* ``"float16"``: the float16 values the database keeps, widened to float32 (exactly) and put in
  the index's form. The gallery adds those same rounded values to the index at enrollment, so the
  index, a rebuild from the database and the checksum agree; any change of the stored float16
  bytes changes the checksum (for a cosine model, except an exact rescaling of a whole vector,
  which changes no score).
* ``"none"``: the checksum is computed at enrollment, from the float32 vector the row keeps until
  a saved index holds it; then the database keeps the checksum but no vector. It still verifies an
  index that keeps exact vectors (Flat, IVF-Flat, HNSW-Flat), which is then the only copy: a
  mismatch cannot be rebuilt and refuses the open, asking for the index files from a backup.

An index that keeps codes (PQ, OPQ, SQ8, binary) decodes to approximations, which no checksum of
an exact vector can verify; nor can the cheap open decide whether codes are right (re-encoding
every stored vector would be a rebuild). Such an index is trusted on what ``index.json`` records
(its settings, the checksum of its ids against the database's, the SHA-256 of the file): a damaged
or truncated ``index.faiss`` is caught, but a rewrite of ``index.faiss`` and ``index.json``
together is not. Where vectors are kept, ``siamkit gallery check --repair`` rebuilds it from them;
with ``vectors="none"`` and a compressed index the index file is the only copy of the vectors, and
the limit is plain: a damaged file can only be restored from a backup (``siamkit gallery
backup``), never repaired. A Milvus collection is checked at open by its ids against the
database's; its vectors are Milvus's to keep.

The checksum is BLAKE2b (RFC 7693, Python's ``hashlib``) with an 8-byte digest of the vector's
float32 bytes: a changed vector goes unnoticed with a chance of about 2^-64. It detects corruption
and stray rewrites, not a forger who can also write the database. (A NumPy-vectorised multiply-
shift hash was tried first and measured 4x slower than one BLAKE2b call per row.)
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

log = logging.getLogger("siamkit.gallery")

CHECKSUM_VERSION = 1
_CHUNK = 65536
_SHOW = 5  # ids named in a message


def vector_checksums(vectors: np.ndarray) -> np.ndarray:
    """One signed 64-bit checksum (SQLite's INTEGER) per row of float32 ``vectors`` ``[n, d]``:
    the 8-byte BLAKE2b digest of the row's little-endian bytes."""
    x = np.ascontiguousarray(vectors, dtype="<f4")
    digests = b"".join(hashlib.blake2b(row.tobytes(), digest_size=8).digest() for row in x)
    return np.frombuffer(digests, dtype="<i8").astype(np.int64)


def _ids(ids: Any) -> str:
    ids = [int(i) for i in ids]
    more = f" and {len(ids) - _SHOW} more" if len(ids) > _SHOW else ""
    return ", ".join(map(str, ids[:_SHOW])) + more


# ---- the database against itself --------------------------------------------------------------


@dataclass
class Problem:
    """Rows of one kind of damage: ``kind`` names it, ``ids`` are the reference ids,
    ``repairable`` says whether ``--repair`` deletes them."""

    kind: str
    message: str
    ids: list[int] = field(default_factory=list)
    repairable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "ids": self.ids[:1000],
                "count": len(self.ids), "repairable": self.repairable}


def layout(vectors: str, dim: int) -> tuple[np.dtype, tuple[int, ...]]:
    """How a gallery keeping ``vectors`` ("float32", "float16", "none") stores an embedding blob:
    (its dtype, the blob lengths in bytes a row may have). With "none" a row holds its float32
    vector until a saved index holds it, then an empty blob."""
    if vectors == "float16":
        return np.dtype("<f2"), (2 * dim,)
    if vectors == "none":
        return np.dtype("<f4"), (0, 4 * dim)
    return np.dtype("<f4"), (4 * dim,)


def row_problems(conn: Any, dim: int, vectors: str = "float32") -> list[Problem]:
    """The cheap checks of every open, in one pass: blobs that are not ``dim`` values of the
    kept kind (:func:`layout`), references whose identity row is missing."""
    dtype, sizes = layout(vectors, dim)
    marks = ",".join("?" * len(sizes))
    wrong = f"typeof(r.embedding) != 'blob' OR length(r.embedding) NOT IN ({marks})"
    rows = conn.execute(
        f"SELECT r.id, {wrong}, i.id IS NULL "
        "FROM refs r LEFT JOIN identities i ON i.id = r.identity_id "
        f"WHERE {wrong} OR i.id IS NULL "
        "ORDER BY r.id", sizes + sizes).fetchall()
    bad = [r[0] for r in rows if r[1]]
    dangling = [r[0] for r in rows if r[2]]
    out = []
    if bad:
        kept = "no or " if vectors == "none" else ""
        out.append(Problem("bad_size", f"{len(bad)} reference(s) (ids {_ids(bad)}) have an "
                           f"embedding that is not {kept}{dim} {dtype.name} values", bad))
    if dangling:
        out.append(Problem("no_identity", f"{len(dangling)} reference(s) (ids "
                           f"{_ids(dangling)}) belong to no identity", dangling))
    return out


def sqlite_problems(conn: Any) -> list[Problem]:
    """SQLite's own page-level check (``PRAGMA integrity_check``)."""
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if rows == ["ok"]:
        return []
    return [Problem("sqlite", f"SQLite integrity_check: {'; '.join(rows[:3])}", [], False)]


def embedding_problems(conn: Any, dim: int, stored_form: Any,
                       vectors: str = "float32") -> list[Problem]:
    """Non-finite embeddings, and stored embeddings that no longer match their checksums
    (``stored_form(vectors)``: the vectors as the index keeps them). Rows that keep no vector
    (``vectors="none"``, once saved in the index) have nothing to check here."""
    non_finite, changed = [], []
    for ids, emb, sums in _rows(conn, dim, vectors):
        finite = np.isfinite(emb).all(axis=1)
        non_finite.extend(ids[~finite].tolist())
        known = finite & (sums != _MISSING)
        if known.any():
            fresh = vector_checksums(stored_form(emb[known]))
            changed.extend(ids[known][fresh != sums[known]].tolist())
    out = []
    if non_finite:
        out.append(Problem("non_finite", f"{len(non_finite)} reference(s) (ids "
                           f"{_ids(non_finite)}) have NaN or infinite embeddings", non_finite))
    if changed:
        out.append(Problem("changed", f"{len(changed)} stored embedding(s) (ids "
                           f"{_ids(changed)}) no longer match the checksum written at "
                           "enrollment; remove and re-enroll their identities", changed, False))
    return out


_MISSING = np.iinfo(np.int64).min  # stands for a NULL checksum in arrays


def _rows(conn: Any, dim: int,
          vectors: str) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(ids, float32 embeddings, checksums) of the rows that hold a well-formed vector, in id
    order, in chunks."""
    dtype = layout(vectors, dim)[0]
    last = -(2**63)
    while True:
        rows = conn.execute(
            "SELECT id, embedding, checksum FROM refs WHERE id > ? AND typeof(embedding) = 'blob' "
            "AND length(embedding) = ? ORDER BY id LIMIT ?",
            (last, dtype.itemsize * dim, _CHUNK)).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        emb = _decode([r[1] for r in rows], dtype, dim)
        sums = np.array([_MISSING if r[2] is None else r[2] for r in rows], dtype=np.int64)
        yield ids, emb, sums


def _decode(blobs: list[bytes], dtype: np.dtype, dim: int) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype=dtype).reshape(-1, dim).astype(np.float32)


def fill_checksums(conn: Any, dim: int, stored_form: Any, vectors: str = "float32") -> int:
    """Compute the checksums a gallery written before them lacks, from the stored embeddings
    (the truth; rows that no longer keep one stay unverified). Returns how many were filled in;
    the caller holds a transaction."""
    dtype = layout(vectors, dim)[0]
    filled = 0
    while True:
        rows = conn.execute(
            "SELECT id, embedding FROM refs WHERE checksum IS NULL AND typeof(embedding) = 'blob' "
            "AND length(embedding) = ? ORDER BY id LIMIT ?",
            (dtype.itemsize * dim, _CHUNK)).fetchall()
        if not rows:
            return filled
        emb = _decode([r[1] for r in rows], dtype, dim)
        sums = vector_checksums(stored_form(emb))
        conn.executemany("UPDATE refs SET checksum = ? WHERE id = ?",
                         ((int(s), int(r[0])) for s, r in zip(sums, rows)))
        filled += len(rows)


# ---- the index against the database -----------------------------------------------------------


def index_mismatch(index: Any, conn: Any) -> str | None:
    """Why the vectors ``index`` holds differ from the database's checksums, or None. The index
    holds exactly the database's ids (checked before)."""
    rows = conn.execute("SELECT id, checksum FROM refs ORDER BY id").fetchall()
    if not rows:
        return None
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    sums = np.array([_MISSING if r[1] is None else r[1] for r in rows], dtype=np.int64)
    wrong = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        held = vector_checksums(index.reconstruct(chunk))
        want = sums[start:start + _CHUNK]
        wrong.extend(chunk[(held != want) & (want != _MISSING)].tolist())
    if wrong:
        return (f"the index holds other vectors than the database for {len(wrong)} "
                f"reference(s) (ids {_ids(wrong)})")
    unverified = int((sums == _MISSING).sum())
    if unverified:
        log.info("gallery: %d reference(s) have no checksum yet; their index vectors are not "
                 "verified", unverified)
    return None
