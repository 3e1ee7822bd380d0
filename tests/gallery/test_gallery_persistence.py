"""A gallery folder: durable enrollments, atomic saves, index rebuilt when it cannot be trusted,
and a model fingerprint that keeps other models' embeddings out."""

from __future__ import annotations

import sqlite3
import warnings

import numpy as np
import pytest
import torch
from gallery_helpers import vector_model

from siamkit import SiameseNetwork, SiamkitWarning
from siamkit.errors import ConfigError, DataError
from siamkit.gallery import Gallery, ModelMismatchError, model_fingerprint
from siamkit.gallery.persist import DB_FILE, INDEX_FILE, INDEX_META_FILE


def fill(gallery, vectors):
    for i in range(8):
        gallery.enroll(f"p{i}", vectors[3 * i:3 * i + 3], metadata={"n": i})


def answers(gallery, vectors):
    r = gallery.identify(vectors + 0.01, k=3)
    return r.candidate_identities.tolist(), np.round(r.candidate_scores, 5).tolist()


def test_close_and_reopen_gives_the_same_answers_without_warning(tmp_path, vectors):
    model = vector_model()
    with Gallery(model, tmp_path / "g") as g:
        fill(g, vectors)
        before = answers(g, vectors)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g2 = Gallery.load(tmp_path / "g", model)
    assert answers(g2, vectors) == before and len(g2) == 8 and g2.list()[3].metadata == {"n": 3}


def test_enrollments_are_committed_before_enroll_returns(tmp_path, vectors):
    g = Gallery(vector_model(), tmp_path / "g")
    g.enroll("alice", vectors[:2])
    # another connection (as another process would) already sees them, with no save or close
    with sqlite3.connect(tmp_path / "g" / DB_FILE) as db:
        assert db.execute("SELECT COUNT(*) FROM refs").fetchone()[0] == 2
    # a process that never closed: the next open rebuilds the index from SQLite, loudly
    with pytest.warns(SiamkitWarning,
                      match="holds 0 vectors but the database 2 references; rebuilding"):
        g2 = Gallery(vector_model(), tmp_path / "g")
    assert g2.identify(vectors[0], k=1)[0].identity == "alice"


@pytest.mark.parametrize("damage,reason", [
    (lambda d: (d / INDEX_FILE).unlink(), "missing"),
    (lambda d: (d / INDEX_META_FILE).unlink(), "index.json"),
    (lambda d: (d / INDEX_FILE).write_bytes(b"garbage"), "checksum"),
])
def test_an_untrustworthy_index_is_rebuilt_with_a_warning(tmp_path, vectors, damage, reason):
    model = vector_model()
    with Gallery(model, tmp_path / "g") as g:
        fill(g, vectors)
        before = answers(g, vectors)
    damage(tmp_path / "g")
    with pytest.warns(SiamkitWarning, match=reason):
        g2 = Gallery(model, tmp_path / "g")
    assert answers(g2, vectors) == before
    g2.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rebuilt index was written back
        Gallery(model, tmp_path / "g").close()


def test_index_out_of_step_with_the_database_is_rebuilt(tmp_path, vectors):
    model = vector_model()
    with Gallery(model, tmp_path / "g") as g:
        fill(g, vectors)
    g = Gallery(model, tmp_path / "g")
    g.enroll("late", vectors[30])  # committed, but the saved index file predates it
    del g
    with pytest.warns(SiamkitWarning, match="holds 24 vectors but the database 25"):
        g2 = Gallery(model, tmp_path / "g")
    assert g2.identify(vectors[30], k=1)[0].identity == "late"


def test_changing_the_distance_rebuilds_the_index_for_the_new_metric(tmp_path, vectors):
    model = vector_model("euclidean")
    with Gallery(model, tmp_path / "g") as g:
        fill(g, vectors)
    model.distance_name = "cosine"  # same embeddings, compared differently: allowed
    with pytest.warns(SiamkitWarning, match="'metric': 'l2'"):
        g2 = Gallery(model, tmp_path / "g")
    assert g2.metric_ == "ip"
    assert g2.identify(vectors[4], k=1)[0].score == pytest.approx(1.0, abs=1e-5)


def test_a_different_model_is_refused(tmp_path, vectors):
    with Gallery(vector_model(seed=0), tmp_path / "g") as g:
        fill(g, vectors)
    with pytest.raises(ModelMismatchError, match="another model"):
        Gallery.load(tmp_path / "g", vector_model(seed=1))


def test_fingerprint_follows_weights_not_threshold_or_a_save_load(tmp_path):
    model = vector_model()
    fp = model_fingerprint(model)
    model.save(tmp_path / "m")
    assert model_fingerprint(SiameseNetwork.load(tmp_path / "m")) == fp
    model.set_threshold(-0.3, rule="eer")
    assert model_fingerprint(model) == fp
    with torch.no_grad():
        next(model.encoder.parameters())[0, 0] += 1e-3
    assert model_fingerprint(model) != fp


def test_save_copies_an_in_memory_gallery_and_refuses_to_overwrite(tmp_path, vectors):
    model = vector_model()
    g = Gallery(model)
    fill(g, vectors)
    with pytest.raises(ConfigError, match="in memory"):
        g.save()
    g.save(tmp_path / "copy")
    loaded = Gallery.load(tmp_path / "copy", model)
    assert answers(loaded, vectors) == answers(g, vectors)
    with pytest.raises(ConfigError, match="already holds a gallery"):
        g.save(tmp_path / "copy")
    with pytest.raises(DataError, match="no gallery there"):
        Gallery.load(tmp_path / "nowhere", model)


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / DB_FILE).write_bytes(b"not a database at all" * 10)
    with pytest.raises(DataError, match="not a usable SQLite file"):
        Gallery(vector_model(), tmp_path / "g")
