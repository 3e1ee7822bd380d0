"""Backing up a gallery that is in use, and restoring it.

The database is copied with SQLite's online backup API (``sqlite3.Connection.backup``), which
reads one consistent snapshot while other processes go on enrolling: every enrollment committed
before the snapshot is in the copy, with all its references, and none after it. The index files
are copied as they are (each is replaced atomically, so a copy holds one whole version); a copy
that is older than the database is detected at the first open and rebuilt from the database,
which is the truth. A gallery that keeps no vectors (``vectors="none"``) cannot rebuild: a copy
whose index lacks references the database no longer keeps vectors of (an index saved between the
two copies) is taken again. ``backup.json`` records the snapshot's counts and the SHA-256 of the copied
database, which :func:`restore_gallery` checks before it writes anything.

A backup folder is itself a gallery (it opens with :class:`~siamkit.gallery.Gallery`), but opening
it writes to it, after which it no longer matches its manifest: restore it, and open the copy.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_path, atomic_write_json, fsync_folder
from ..errors import ConfigError, DataError
from ..version import __version__
from .index import VectorIndex
from .persist import DB_FILE, INDEX_FILE, INDEX_META_FILE

MANIFEST = "backup.json"
_ATTEMPTS = 3
FORMAT = "siamkit-gallery-backup"


def backup_gallery(gallery: str | Path, out: str | Path) -> dict[str, Any]:
    """Copy the gallery folder ``gallery`` (open elsewhere or not) into the new folder ``out``;
    returns the manifest."""
    gallery, out = Path(gallery), Path(out)
    if not (gallery / DB_FILE).is_file():
        raise DataError(f"gallery {gallery}: no gallery there (no {DB_FILE})")
    if out.exists() and any(out.iterdir()):
        raise DataError(f"backup {out}: the folder exists and is not empty; choose a new one")
    out.mkdir(parents=True, exist_ok=True)
    for _ in range(_ATTEMPTS):
        _copy(gallery, out)
        missing = _missing_without_vectors(out)
        if not missing:
            break
    else:
        raise DataError(f"backup {out}: {missing} reference(s) of {gallery} keep no vectors "
                        "(vectors='none') and are in no copied index: the gallery saved its index "
                        f"while it was copied, {_ATTEMPTS} times; try again")
    counts = _verified_counts(out / DB_FILE, f"backup {out}")
    manifest = {"format": FORMAT, "created": time.time(), "source": str(gallery.resolve()),
                "siamkit_version": __version__, **counts,
                "database_sha256": _sha256(out / DB_FILE)}
    atomic_write_json(out / MANIFEST, manifest)
    return manifest


def restore_gallery(backup: str | Path, gallery: str | Path) -> dict[str, Any]:
    """Restore the backup folder ``backup`` into ``gallery`` (a new or empty folder); the copy is
    checked against the manifest and SQLite's integrity check first."""
    backup, gallery = Path(backup), Path(gallery)
    where = f"backup {backup}"
    if not (backup / DB_FILE).is_file():
        raise DataError(f"{where}: no {DB_FILE} there; is this a gallery backup?")
    manifest = _read_manifest(backup)
    if manifest is not None and manifest.get("database_sha256") != _sha256(backup / DB_FILE):
        raise DataError(f"{where}: {DB_FILE} does not match the checksum in {MANIFEST} "
                        "(the backup was changed or damaged)")
    counts = _verified_counts(backup / DB_FILE, where)
    if gallery.exists() and any(gallery.iterdir()):
        raise DataError(f"gallery {gallery}: the folder exists and is not empty; restore into a "
                        "new folder (or move the old gallery away first)")
    gallery.mkdir(parents=True, exist_ok=True)
    with atomic_path(gallery / DB_FILE) as tmp:
        _sqlite_copy(f"file:{backup / DB_FILE}?mode=ro", tmp)
    for name in (INDEX_FILE, INDEX_META_FILE):
        if (backup / name).is_file():
            with atomic_path(gallery / name, min_size=0) as tmp:
                shutil.copyfile(backup / name, tmp)
    fsync_folder(gallery)
    return {"gallery": str(gallery), **counts}


def _copy(gallery: Path, out: Path) -> None:
    # Index files first: a copy older than the database is rebuilt; a newer one could not be.
    for name in (INDEX_FILE, INDEX_META_FILE):
        if (gallery / name).is_file():
            with atomic_path(out / name, min_size=0) as tmp:
                shutil.copyfile(gallery / name, tmp)
    with atomic_path(out / DB_FILE) as tmp:
        _sqlite_copy(f"file:{gallery / DB_FILE}?mode=ro", tmp)


def _missing_without_vectors(out: Path) -> int:
    """References of the copied database that keep no vector (``vectors="none"``, emptied once a
    saved index held them) and that the copied index does not hold: an index saved between the
    two copies. Rebuilding cannot bring them back, so the backup copies again."""
    import json

    with sqlite3.connect(f"file:{out / DB_FILE}?mode=ro", uri=True) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'vectors'").fetchone()
        if row is None or json.loads(row[0]) != "none":
            return 0
        empty = np.array([r[0] for r in db.execute(
            "SELECT id FROM refs WHERE length(embedding) = 0")], dtype=np.int64)
    if not len(empty):
        return 0
    try:
        params = json.loads((out / INDEX_META_FILE).read_text(encoding="utf-8"))["params"]
        index = VectorIndex(params["dim"], params["metric"], params["index"],
                            nlist=params["nlist"], hnsw_m=params["hnsw_m"],
                            normalize=params["normalize"])
        index.read(str(out / INDEX_FILE))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, ConfigError):
        return len(empty)  # no usable index copied: the open would say so, and lose them
    return int((~np.isin(empty, index.ids())).sum())


def _sqlite_copy(source_uri: str, target: Path) -> None:
    src = sqlite3.connect(source_uri, uri=True, timeout=30.0)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)  # pages=-1: one step, one read transaction, one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # a single file, with no -wal beside it
    finally:
        dst.close()
        src.close()


def _verified_counts(file: Path, where: str) -> dict[str, int]:
    try:
        with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as db:
            check = [r[0] for r in db.execute("PRAGMA integrity_check")]
            if check != ["ok"]:
                raise DataError(f"{where}: SQLite integrity_check failed: {'; '.join(check[:3])}")
            refs = db.execute("SELECT COUNT(*) FROM refs").fetchone()[0]
            idents = db.execute("SELECT COUNT(*) FROM identities").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise DataError(f"{where}: {DB_FILE} is not a usable SQLite file ({exc})") from None
    return {"identities": int(idents), "references": int(refs)}


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    import json

    file = folder / MANIFEST
    if not file.is_file():
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"backup {folder}: {MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataError(f"backup {folder}: {MANIFEST} is not a siamkit gallery backup manifest")
    return data


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
