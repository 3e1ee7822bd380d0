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

from ..errors import DataError
from . import integrity
from .gallery import Gallery
from .index import VectorIndex
from .persist import DB_FILE
from .search import metric_for
from .store import Store


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
        problems = (integrity.sqlite_problems(conn) + integrity.row_problems(conn, dim)
                    + integrity.embedding_problems(conn, dim, stored_form))
        repaired: list[dict[str, Any]] = []
        if repair:
            with store.transaction() as db:
                for p in problems:
                    if p.repairable and p.ids:
                        db.executemany("DELETE FROM refs WHERE id = ?", ((i,) for i in p.ids))
                        repaired.append({"kind": p.kind, "deleted": len(p.ids), "ids": p.ids})
                filled = integrity.fill_checksums(db, dim, stored_form)
            if filled:
                repaired.append({"kind": "checksums", "filled": filled})
            problems = [p for p in problems if not (p.repairable and p.ids)]
    finally:
        store.close()
    index = "not opened (repair the rows first)"
    if not any(p.kind in ("bad_size", "no_identity") for p in problems):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gallery = Gallery(model, path)
            try:
                if repair:
                    gallery.rebuild_index()
            finally:
                gallery.close()
        notes = [str(w.message) for w in caught]
        index = "; ".join(notes) if notes else "the saved index matches the database"
        if repair:
            index = (index + "; rebuilt from the stored embeddings") if notes else \
                "rebuilt from the stored embeddings"
    return {"problems": [p.to_dict() for p in problems], "repaired": repaired, "index": index,
            "ok": not problems}
