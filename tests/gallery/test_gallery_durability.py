"""A gallery on a failing disk: the index write raises instead of leaving a short file, the good
index stays, and a gallery whose rebuilt index cannot be saved opens read-only and says so."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from faulty_files import failing_open, fill, tiny_filesystem
from gallery_helpers import vector_model

import siamkit.gallery.faiss_io as faiss_io
from siamkit import SiamkitWarning
from siamkit.errors import WriteError
from siamkit.gallery import Gallery
from siamkit.gallery.persist import DB_FILE, INDEX_FILE


def _enrolled(folder, vectors, n=4):
    g = Gallery(vector_model(), folder)
    for i in range(n):
        g.enroll(f"p{i}", vectors[3 * i:3 * i + 3])
    return g


@pytest.mark.parametrize("mode", ["raise", "short", "zero"])
def test_a_failing_index_write_raises_and_keeps_the_good_index(tmp_path, vectors, monkeypatch,
                                                               mode):
    _enrolled(tmp_path / "g", vectors).close()
    good = (tmp_path / "g" / INDEX_FILE).read_bytes()
    g = Gallery(vector_model(), tmp_path / "g")
    g.enroll("late", vectors[20:22])
    monkeypatch.setattr(faiss_io, "open", failing_open(after=100, mode=mode), raising=False)
    with pytest.raises(WriteError, match=f"{INDEX_FILE}.*previous file is kept"):
        g.save()
    with pytest.warns(SiamkitWarning, match="index was not saved.*next open rebuilds it"):
        g.close()
    monkeypatch.undo()
    assert (tmp_path / "g" / INDEX_FILE).read_bytes() == good
    with pytest.warns(SiamkitWarning, match="rebuilding"):
        g2 = Gallery(vector_model(), tmp_path / "g")
    assert "late" in g2 and g2.n_references == 14  # nothing acknowledged was lost


def test_a_gallery_whose_index_cannot_be_rebuilt_on_disk_opens_read_only(tmp_path, vectors,
                                                                         monkeypatch):
    _enrolled(tmp_path / "g", vectors).close()
    (tmp_path / "g" / INDEX_FILE).write_bytes(b"damaged")
    monkeypatch.setattr(faiss_io, "open", failing_open(after=0), raising=False)
    with pytest.warns(SiamkitWarning) as caught:
        g = Gallery(vector_model(), tmp_path / "g")
    said = [str(w.message) for w in caught]
    # first the damage is found and a rebuild tried, then the failed save leaves it read-only
    assert any("index file is corrupt" in m for m in said), said
    assert any("open read-only" in m for m in said), said
    assert g.read_only_ and "could not be saved" in g.read_only_
    assert g.identify(vectors[3], k=1)[0].identity == "p1"  # searches still work
    with pytest.raises(WriteError, match="is open read-only"):
        g.enroll("new", vectors[30:31])
    with pytest.raises(WriteError, match="is open read-only"):
        g.remove("p0")
    g.close()


def test_a_really_full_disk(tmp_path, vectors):
    with tiny_filesystem(tmp_path / "disk", 1024 * 1024) as disk:
        g = _enrolled(disk / "g", vectors)
        g.close()
        good = (disk / "g" / INDEX_FILE).read_bytes()
        g = Gallery(vector_model(), disk / "g")
        big = np.random.default_rng(1).standard_normal((3000, 6)).astype(np.float32)
        g.enroll_many_embeddings([f"b{i}" for i in range(3000)], g.model.encode(big).numpy())
        fill(disk / "g")
        with pytest.raises(WriteError, match="no space left on the device"):
            g.save()
        assert (disk / "g" / INDEX_FILE).read_bytes() == good
        with pytest.raises(WriteError, match="database or disk is full|could not be written"):
            g.enroll_many_embeddings([f"c{i}" for i in range(3000)],
                                     g.model.encode(big).numpy())
        with pytest.warns(SiamkitWarning, match="not saved"):
            g.close()
        (disk / "g" / "filler").unlink()
        with sqlite3.connect(disk / "g" / DB_FILE) as db:
            assert db.execute("SELECT COUNT(*) FROM refs").fetchone()[0] == 3012
