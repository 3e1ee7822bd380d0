"""The gallery folder: ``gallery.sqlite`` (the truth), ``index.faiss`` and ``index.json`` (a cache).

The index file is written atomically and durably (temporary file, every byte checked, fsync,
rename, fsync of the folder; :mod:`siamkit.atomic`), so a full disk raises
:class:`~siamkit.errors.WriteError` and leaves the previous index in place. It is described by
``index.json``: the index settings, the number of vectors, a checksum of their ids and a checksum of
the file itself. On opening, an index that is missing, corrupt, built with other settings, holding
other ids than the database or other vectors than the database's checksums say
(:func:`siamkit.gallery.integrity.index_mismatch`; an index that keeps exact float32 vectors only,
see :mod:`siamkit.gallery.integrity` for the compressed ones) is not trusted; the caller rebuilds
it from the stored embeddings, or catches it up where the gallery keeps no vectors.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np

from ..atomic import atomic_path, atomic_write_json
from .index import VectorIndex
from .integrity import index_mismatch
from .store import Store

DB_FILE = "gallery.sqlite"
INDEX_FILE = "index.faiss"
INDEX_META_FILE = "index.json"
INDEX_FORMAT = "siamkit-gallery-index"
MODEL_PATH_KEY = "model_path"  # the meta key of the model folder recorded for the CLI


def _sha256_file(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _ids_sha256(ids: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(ids, dtype="<i8").tobytes()).hexdigest()


def recorded_model_path(folder: str | Path) -> str | None:
    """The model folder recorded in the gallery in ``folder`` (see
    :meth:`~siamkit.gallery.Gallery.record_model_path`), read without opening the gallery: the
    model is needed to open it. None when there is no gallery, no record or an unreadable one."""
    db_file = Path(folder) / DB_FILE
    if not db_file.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (MODEL_PATH_KEY,)).fetchone()
    except sqlite3.DatabaseError:
        return None
    return None if row is None else json.loads(row[0])


def write_index(folder: Path, index: VectorIndex, fingerprint: str) -> None:
    """Write ``index.faiss`` then ``index.json``; a crash between the two leaves a description
    that no longer matches, which the next open detects."""
    with atomic_path(folder / INDEX_FILE) as tmp:
        index.write(str(tmp), str(folder / INDEX_FILE))
        file_sha = _sha256_file(tmp)
    ids = index.ids()
    atomic_write_json(folder / INDEX_META_FILE, {
        "format": INDEX_FORMAT, "params": index.params(), "fingerprint": fingerprint,
        "count": int(len(ids)), "ids_sha256": _ids_sha256(ids), "file_sha256": file_sha,
    })


def _upgraded(params: object, index: VectorIndex) -> object:
    """``params`` of an ``index.json`` written before factory strings (``"kind"``, no
    ``"normalize"``) in today's form. Normalisation was then already the model's, which the
    fingerprint check vouches for, so it is the index's own."""
    if isinstance(params, dict) and "kind" in params and "index" not in params:
        params = {**{k: v for k, v in params.items() if k != "kind"}, "index": params["kind"],
                  "normalize": index.normalize}
    return params


def read_index(folder: Path, index: VectorIndex, store: Store, fingerprint: str) -> str | None:
    """Load the saved index into ``index``; None on success, else why it cannot be trusted."""
    file, meta_file = folder / INDEX_FILE, folder / INDEX_META_FILE
    if not file.is_file():
        return "the index file is missing"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != INDEX_FORMAT:
        return f"{INDEX_META_FILE} is missing or unreadable"
    if _upgraded(meta.get("params"), index) != index.params():
        return f"the index was built with {meta.get('params')}, now {index.params()} is needed"
    if meta.get("fingerprint") != fingerprint:
        return "the index was built from another model's embeddings"
    if meta.get("file_sha256") != _sha256_file(file):
        return "the index file is corrupt (checksum mismatch)"
    try:
        index.read(str(file))
    except RuntimeError as exc:
        return f"the index file is unreadable ({str(exc).splitlines()[0][:120]})"
    db_ids, _ = store.ref_table()
    held = index.ids()
    if len(held) != len(db_ids) or not np.array_equal(held, db_ids):
        if len(held) != len(db_ids):
            return f"the index holds {len(held)} vectors but the database {len(db_ids)} references"
        return "the index holds other references than the database"
    if index.lossy:
        # Codes (PQ, SQ, binary) decode to approximations, which no checksum of an exact vector
        # can verify: such an index is trusted on its ids and its file's SHA-256 above.
        return None
    return index_mismatch(index, store.conn)
