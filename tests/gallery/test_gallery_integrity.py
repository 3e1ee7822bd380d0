"""Gallery integrity: the index is verified against the database's checksums, damaged rows refuse
the open and are repaired by `check --repair`, huge ids open, older galleries migrate."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pytest
from gallery_helpers import vector_model

import siamkit as sk
from siamkit import SiamkitWarning
from siamkit.errors import DataError
from siamkit.gallery import Gallery
from siamkit.gallery.check import check_gallery
from siamkit.gallery.integrity import vector_checksums
from siamkit.gallery.persist import DB_FILE, INDEX_FILE, INDEX_META_FILE
from siamkit.gallery.persist import _sha256_file as sha256_file  # noqa: PLC2701 - same package

LEGACY = Path(__file__).parents[1] / "fixtures" / "legacy"


def _gallery(folder, vectors, distance="euclidean"):
    g = Gallery(vector_model(distance), folder)
    for i in range(4):
        g.enroll(f"p{i}", vectors[3 * i:3 * i + 3])
    g.close()
    return folder


def test_checksums_are_blake2b_of_the_float32_bytes_and_see_one_bit_flips():
    x = np.random.default_rng(0).standard_normal((20, 7)).astype(np.float32)
    got = vector_checksums(x)
    assert got.tolist() == [int.from_bytes(hashlib.blake2b(r.astype("<f4").tobytes(),
                                                           digest_size=8).digest(),
                                           "little", signed=True) for r in x]
    flipped = x.copy().view(np.uint32)
    rng = np.random.default_rng(1)
    for i in range(20):
        flipped[i, rng.integers(7)] ^= np.uint32(1 << int(rng.integers(32)))
    assert (vector_checksums(flipped.view(np.float32)) != got).all()
    assert (vector_checksums(x.astype(np.float64)) == got).all()  # the float32 form is hashed


def test_an_index_rewritten_under_the_same_ids_is_caught_and_rebuilt(tmp_path, vectors):
    import faiss

    folder = _gallery(tmp_path / "g", vectors)
    want = Gallery(vector_model(), folder).identify(vectors[:12] + 0.01, k=1).candidate_identities[:, 0].tolist()
    # Rewrite the vectors under the same ids, and index.json to match the new file, as a tool
    # that "fixes" the index would: only the database can tell.
    index = faiss.read_index(str(folder / INDEX_FILE))
    ids = faiss.vector_to_array(index.id_map)
    fresh = faiss.IndexIDMap2(faiss.IndexFlatL2(4))
    fresh.add_with_ids(np.random.default_rng(5).standard_normal((len(ids), 4)).astype("f4"), ids)
    faiss.write_index(fresh, str(folder / INDEX_FILE))
    meta = json.loads((folder / INDEX_META_FILE).read_text())
    meta["file_sha256"] = sha256_file(folder / INDEX_FILE)
    (folder / INDEX_META_FILE).write_text(json.dumps(meta))
    with pytest.warns(SiamkitWarning, match=r"other vectors than the database for 12 reference"):
        g = Gallery(vector_model(), folder)
    assert g.identify(vectors[:12] + 0.01, k=1).candidate_identities[:, 0].tolist() == want


@pytest.mark.parametrize("tamper,message", [
    ("UPDATE refs SET embedding = x'00' WHERE id = 5", r"ids 5\) have an embedding that is not 4"),
    ("UPDATE refs SET identity_id = 99 WHERE id = 7", r"ids 7\) belong to no identity"),
])
def test_a_damaged_row_refuses_the_open_and_repair_deletes_it(tmp_path, vectors, tamper, message):
    folder = _gallery(tmp_path / "g", vectors)
    with sqlite3.connect(folder / DB_FILE) as db:
        db.execute(tamper)
    with pytest.raises(DataError, match=message + ".*gallery check .*--repair"):
        Gallery(vector_model(), folder)
    report = check_gallery(folder, vector_model())
    assert not report["ok"] and report["problems"][0]["count"] == 1
    report = check_gallery(folder, vector_model(), repair=True)
    assert report["ok"] and report["repaired"][0]["deleted"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = Gallery(vector_model(), folder)
    assert g.n_references == 11 and check_gallery(folder, vector_model())["ok"]


def test_non_finite_and_changed_embeddings_are_found_by_the_full_check(tmp_path, vectors):
    folder = _gallery(tmp_path / "g", vectors)
    nan = np.full(4, np.nan, dtype="<f4").tobytes()
    other = np.arange(4, dtype="<f4").tobytes()
    with sqlite3.connect(folder / DB_FILE) as db:
        db.execute("UPDATE refs SET embedding = ? WHERE id = 2", (nan,))
        db.execute("UPDATE refs SET embedding = ? WHERE id = 3", (other,))
    report = check_gallery(folder, vector_model())
    kinds = {p["kind"]: p for p in report["problems"]}
    assert kinds["non_finite"]["ids"] == [2] and kinds["changed"]["ids"] == [3]
    assert not kinds["changed"]["repairable"]


def test_a_reference_id_of_ten_to_the_twelve_opens(tmp_path, vectors):
    folder = _gallery(tmp_path / "g", vectors)
    with sqlite3.connect(folder / DB_FILE) as db:
        db.execute("UPDATE refs SET id = 1000000000000 WHERE id = 12")
        db.execute("UPDATE identities SET id = 1000000000001 WHERE name = 'p3'")
        db.execute("UPDATE refs SET identity_id = 1000000000001 WHERE identity_id = 4")
    with pytest.warns(SiamkitWarning, match="rebuilding"):
        g = Gallery(vector_model(), folder)
    found = g.search(vectors[11], k=1)[0][0]
    assert (found.reference_id, found.identity) == (1000000000000, "p3")
    ids = g.enroll("late", vectors[30:31])
    assert ids == [13] and g.identify(vectors[30], k=1)[0].identity == "late"
    assert g.remove("p3") == 3 and g.identify(vectors[11], k=1)[0].identity != "p3"


def test_a_legacy_gallery_gets_its_checksums_on_first_open(tmp_path, caplog):
    folder = shutil.copytree(LEGACY / "gallery", tmp_path / "gallery")
    model = sk.SiameseNetwork.load(LEGACY / "model_mlp")
    with sqlite3.connect(folder / DB_FILE) as db:
        assert "checksum" not in {r[1] for r in db.execute("PRAGMA table_info(refs)")}
    with caplog.at_level(logging.INFO, logger="siamkit.gallery"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Gallery.load(folder, model).close()
    assert "computed the checksums of 9 reference(s) written by an older siamkit" in caplog.text
    with sqlite3.connect(folder / DB_FILE) as db:
        assert db.execute("SELECT COUNT(*) FROM refs WHERE checksum IS NULL").fetchone()[0] == 0
    assert check_gallery(folder, model)["ok"]
    # from now on the legacy index is verified like any other
    import faiss
    index = faiss.read_index(str(folder / INDEX_FILE))
    index.remove_ids(np.array([4], dtype=np.int64))
    index.add_with_ids(np.zeros((1, 4), dtype="f4"), np.array([4], dtype=np.int64))
    faiss.write_index(index, str(folder / INDEX_FILE))
    meta = json.loads((folder / INDEX_META_FILE).read_text())
    meta["file_sha256"] = sha256_file(folder / INDEX_FILE)
    (folder / INDEX_META_FILE).write_text(json.dumps(meta))
    with pytest.warns(SiamkitWarning, match=r"ids 4\)"):
        Gallery.load(folder, model).close()


def test_cosine_galleries_checksum_the_normalised_vectors(tmp_path, vectors):
    folder = _gallery(tmp_path / "g", vectors, distance="cosine")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = Gallery(vector_model("cosine"), folder)
    assert g.n_references == 12 and check_gallery(folder, vector_model("cosine"))["ok"]
