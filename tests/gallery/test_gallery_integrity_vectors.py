"""What gallery integrity means when a gallery keeps float16 vectors or none (``vectors=``): the
checksums are of what each row keeps, an exact index is verified against them even when it is the
only copy, and a compressed index with no vectors kept is trusted on its file and ids only."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import warnings

import faiss
import numpy as np
import pytest
from gallery_helpers import vector_model

from siamkit import SiamkitWarning
from siamkit.errors import DataError
from siamkit.gallery import Gallery
from siamkit.gallery.check import check_gallery
from siamkit.gallery.persist import DB_FILE, INDEX_FILE, INDEX_META_FILE


def _blake(row: np.ndarray) -> int:
    """The checksum by hand: 8-byte BLAKE2b of the row's little-endian float32 bytes."""
    digest = hashlib.blake2b(np.ascontiguousarray(row, dtype="<f4").tobytes(), digest_size=8)
    return int.from_bytes(digest.digest(), "little", signed=True)


def _embeddings(n: int = 12, seed: int = 0) -> np.ndarray:
    # Values that float16 cannot hold exactly, so that rounding shows.
    return (np.random.default_rng(seed).standard_normal((n, 4)) * 3.3).astype(np.float32)


def _enrolled(folder, vectors, index="flat", n=12):
    emb = _embeddings(n)
    g = Gallery(vector_model(), folder, index=index, vectors=vectors)
    for i in range(n // 3):
        g.enroll_embeddings(f"p{i}", emb[3 * i:3 * i + 3])
    g.close()
    return emb


def _rows(folder):
    with sqlite3.connect(folder / DB_FILE) as db:
        return db.execute("SELECT id, embedding, checksum FROM refs ORDER BY id").fetchall()


def _rewrite_index(folder, change):
    """Change the saved index and make index.json agree, as a tool that 'fixes' it would."""
    index = faiss.read_index(str(folder / INDEX_FILE))
    change(index)
    faiss.write_index(index, str(folder / INDEX_FILE))
    meta = json.loads((folder / INDEX_META_FILE).read_text())
    meta["file_sha256"] = hashlib.sha256((folder / INDEX_FILE).read_bytes()).hexdigest()
    (folder / INDEX_META_FILE).write_text(json.dumps(meta))


def test_float16_checksums_are_of_the_kept_float16_values(tmp_path):
    emb = _enrolled(tmp_path / "g", "float16")
    rows = _rows(tmp_path / "g")
    assert [len(r[1]) for r in rows] == [8] * 12  # 4 float16 values
    kept = np.array([np.frombuffer(r[1], dtype="<f2") for r in rows])
    assert np.array_equal(kept, emb.astype(np.float16))
    assert [r[2] for r in rows] == [_blake(k.astype(np.float32)) for k in kept]
    # the index holds the same rounded values, so it verifies and a rebuild changes nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = Gallery(vector_model(), tmp_path / "g")
    got = g.search_embeddings(emb[:1], k=1)[0][0]
    # against the rounded reference, not the float32 one enrolled (that would score -0)
    want = -float(np.linalg.norm(emb[0] - kept[0].astype(np.float32)))
    assert want < -1e-4 and got.identity == "p0" and got.score == pytest.approx(want, rel=1e-3)
    g.close()
    assert check_gallery(tmp_path / "g", vector_model())["ok"]


def test_a_changed_float16_value_is_found_by_the_full_check(tmp_path):
    _enrolled(tmp_path / "g", "float16")
    with sqlite3.connect(tmp_path / "g" / DB_FILE) as db:
        blob = bytearray(db.execute("SELECT embedding FROM refs WHERE id = 5").fetchone()[0])
        blob[2] ^= 0x01  # the lowest mantissa bit of the second float16 value
        db.execute("UPDATE refs SET embedding = ? WHERE id = 5", (bytes(blob),))
    report = check_gallery(tmp_path / "g", vector_model())
    assert not report["ok"]
    assert [(p["kind"], p["ids"]) for p in report["problems"]] == [("changed", [5])]


def test_a_float32_blob_in_a_float16_gallery_refuses_the_open(tmp_path):
    _enrolled(tmp_path / "g", "float16")
    with sqlite3.connect(tmp_path / "g" / DB_FILE) as db:
        db.execute("UPDATE refs SET embedding = ? WHERE id = 3",
                   (np.zeros(4, dtype="<f4").tobytes(),))
    with pytest.raises(DataError, match=r"ids 3\) have an embedding that is not 4 float16"):
        Gallery(vector_model(), tmp_path / "g")


def test_an_index_rewritten_under_a_float16_gallery_is_rebuilt_from_it(tmp_path):
    emb = _enrolled(tmp_path / "g", "float16")
    _rewrite_index(tmp_path / "g", lambda index: (
        index.remove_ids(np.array([7], dtype=np.int64)),
        index.add_with_ids(np.zeros((1, 4), dtype="f4"), np.array([7], dtype=np.int64))))
    with pytest.warns(SiamkitWarning, match=r"other vectors than the database .*ids 7\)"):
        g = Gallery(vector_model(), tmp_path / "g")
    assert g.search_embeddings(emb[6:7], k=1)[0][0].reference_id == 7
    g.close()


def test_no_vectors_kept_once_saved_but_checksums_are(tmp_path):
    emb = _enrolled(tmp_path / "g", "none")
    rows = _rows(tmp_path / "g")
    assert [len(r[1]) for r in rows] == [0] * 12
    assert [r[2] for r in rows] == [_blake(e) for e in emb]  # taken at enrollment
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the exact index verifies against them: no rebuild
        Gallery(vector_model(), tmp_path / "g").close()
    assert check_gallery(tmp_path / "g", vector_model())["ok"]


def test_an_exact_index_that_is_the_only_copy_and_disagrees_refuses_the_open(tmp_path):
    _enrolled(tmp_path / "g", "none")
    _rewrite_index(tmp_path / "g", lambda index: (
        index.remove_ids(np.array([4], dtype=np.int64)),
        index.add_with_ids(np.ones((1, 4), dtype="f4"), np.array([4], dtype=np.int64))))
    with pytest.raises(DataError, match=r"ids 4\), and it keeps no vectors .*from a backup"):
        Gallery(vector_model(), tmp_path / "g")
    report = check_gallery(tmp_path / "g", vector_model(), repair=True)
    assert not report["ok"] and report["index"] == "not usable"
    assert report["problems"][-1]["kind"] == "index"


def test_a_damaged_compressed_index_with_no_vectors_is_not_recoverable(tmp_path):
    _enrolled(tmp_path / "g", "none", index="SQ8")
    data = bytearray((tmp_path / "g" / INDEX_FILE).read_bytes())
    data[-40] ^= 0xFF
    (tmp_path / "g" / INDEX_FILE).write_bytes(bytes(data))
    with pytest.raises(DataError, match="12 references cannot be recovered; restore"):
        Gallery(vector_model(), tmp_path / "g")


def test_the_documented_limit_a_consistent_rewrite_of_codes_goes_unnoticed(tmp_path):
    """SQ8 codes decode to approximations that no exact checksum can verify: an index.faiss and
    index.json rewritten together open silently (integrity module docstring says so)."""
    emb = _enrolled(tmp_path / "g", "none", index="SQ8")

    def scramble(index):
        inner = faiss.downcast_index(faiss.downcast_index(index).index)
        codes = faiss.vector_to_array(inner.codes)
        codes[:inner.code_size] = 255 - codes[:inner.code_size]  # reference 1's code
        faiss.copy_array_to_vector(codes, inner.codes)

    before = Gallery(vector_model(), tmp_path / "g")
    first = before.search_embeddings(emb[:1], k=1)[0][0].score
    before.close()
    _rewrite_index(tmp_path / "g", scramble)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = Gallery(vector_model(), tmp_path / "g")
    assert g.search_embeddings(emb[:1], k=1)[0][0].score != pytest.approx(first)
    g.close()
    assert check_gallery(tmp_path / "g", vector_model())["ok"]


def test_a_backup_of_a_gallery_without_vectors_needs_an_index_holding_them(tmp_path):
    from siamkit.gallery.backup import backup_gallery, restore_gallery

    folder = tmp_path / "g"
    emb = _enrolled(folder, "none")
    assert backup_gallery(folder, tmp_path / "b1")["references"] == 12
    restore_gallery(tmp_path / "b1", tmp_path / "r1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = Gallery(vector_model(), tmp_path / "r1")
    assert g.search_embeddings(emb[10:11], k=1)[0][0].identity == "p3"
    g.close()
    # an index saved before the last enrollment beside a database that no longer keeps its
    # vector: what a backup taken while the gallery saved its index would hold
    old = {name: (folder / name).read_bytes() for name in (INDEX_FILE, INDEX_META_FILE)}
    g = Gallery(vector_model(), folder)
    g.enroll_embeddings("late", emb[:1] + 1.0)
    g.close()
    for name, data in old.items():
        (folder / name).write_bytes(data)
    with pytest.raises(DataError, match=r"1 reference\(s\) of .* keep no vectors .*try again"):
        backup_gallery(folder, tmp_path / "b2")
