"""``siamkit gallery check [--repair]``: the full check of a gallery folder, and its repair.

The open (:class:`~siamkit.gallery.Gallery`) runs the cheap checks; this runs all of
:mod:`siamkit.gallery.integrity`: SQLite's ``integrity_check``, rows of the wrong size, of no
identity or with non-finite embeddings, stored embeddings against their checksums, and the saved
index against the database. ``repair=True`` deletes the rows that cannot be used (each one
reported), fills in missing checksums and rebuilds the index from the stored embeddings; embeddings
changed after enrollment are reported, not repaired (only their owner knows the right ones).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from . import integrity
from .gallery import Gallery
from .index import VectorIndex
from .persist import DB_FILE
from .search import metric_for
from .store import VECTORS, Store


def check_gallery(path: str | Path, model: Any, repair: bool = False) -> dict[str, Any]:
    """Check (and with ``repair``, mend) the gallery in ``path``. Returns ``{"problems": [...],
    "repaired": [...], "index": what the open found, "ok": bool}``."""
    path = Path(path)
    if not (path / DB_FILE).is_file():
        raise DataError(f"gallery {path}: no gallery there (no {DB_FILE})")
    dim = model.embedding_dim
    stored_form = VectorIndex(dim, metric_for(model)[0],
                              normalize=model.score_scale.index_normalized).stored
    store = Store(path / DB_FILE, dim)
    try:
        conn = store.conn
        vectors = store.get_meta("vectors") or "float32"
        if vectors not in VECTORS:
            raise DataError(f"gallery {path}: {DB_FILE}: meta vectors: expected one of "
                            f"{', '.join(VECTORS)}, got {vectors!r}")
        store.use_vectors(vectors)
        problems = (integrity.sqlite_problems(conn) + integrity.row_problems(conn, dim, vectors)
                    + integrity.embedding_problems(conn, dim, stored_form, vectors))
        repaired: list[dict[str, Any]] = []
        if repair:
            with store.transaction() as db:
                for p in problems:
                    if p.repairable and p.ids:
                        db.executemany("DELETE FROM refs WHERE id = ?", ((i,) for i in p.ids))
                        repaired.append({"kind": p.kind, "deleted": len(p.ids), "ids": p.ids})
                filled = integrity.fill_checksums(db, dim, stored_form, vectors)
            if filled:
                repaired.append({"kind": "checksums", "filled": filled})
            problems = [p for p in problems if not (p.repairable and p.ids)]
    finally:
        store.close()
    index = "not opened (repair the rows first)"
    if not any(p.kind in ("bad_size", "no_identity") for p in problems):
        index = _check_index(path, model, repair, problems)
    return {"problems": [p.to_dict() for p in problems], "repaired": repaired, "index": index,
            "ok": not problems}


def _check_index(path: Path, model: Any, repair: bool, problems: list) -> str:
    """Open the gallery (which checks its index, and rebuilds or catches it up) and, with
    ``repair``, rebuild the index; what was found, in words."""
    rebuilt = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            gallery = Gallery(model, path)
        except DataError as exc:  # vectors="none": an index that cannot be mended
            problems.append(integrity.Problem("index", str(exc), [], False))
            return "not usable"
        try:
            if repair:
                try:
                    gallery.rebuild_index()
                    rebuilt = "rebuilt from the stored embeddings"
                except ConfigError as exc:  # a compressed index and no vectors to rebuild from
                    rebuilt = f"not rebuilt: {exc}"
        finally:
            gallery.close()
    notes = [str(w.message) for w in caught]
    index = "; ".join(notes) if notes else "the saved index matches the database"
    if rebuilt:
        index = f"{index}; {rebuilt}" if notes else rebuilt
    return index
