"""What the gallery offers callers outside it (the CLI, the HTTP service): its counts, whether
its searches run the model, and the model folder recorded for opening it again."""

from __future__ import annotations

import numpy as np
from gallery_helpers import vector_model

from siamkit.gallery import Gallery, recorded_model_path


def test_stats_count_identities_and_references(vectors):
    gallery = Gallery(vector_model())
    base = {"index": "flat", "factory": "Flat", "trained": True, "training_needs": 0,
            "vectors": "float32", "backend": "faiss", "scoring": "nearest", "read_only": False}
    stats = gallery.stats()
    assert stats.pop("index_bytes") > 0 and stats == {"identities": 0, "references": 0, **base}
    gallery.enroll("a", vectors[:3])
    gallery.enroll("b", vectors[3:4])
    stats = gallery.stats()
    assert stats.pop("index_bytes") > 0 and stats == {"identities": 2, "references": 4, **base}


def test_only_a_head_model_rescores():
    assert not Gallery(vector_model("cosine")).rescores
    assert Gallery(vector_model(head="l1_sigmoid")).rescores


def test_the_first_recorded_model_path_is_kept(tmp_path, vectors):
    folder = tmp_path / "g"
    assert recorded_model_path(folder) is None  # no gallery there
    with Gallery(vector_model(), folder) as gallery:
        assert gallery.model_path is None
        gallery.record_model_path(tmp_path / "model")
        gallery.record_model_path(tmp_path / "other")
        gallery.enroll("a", vectors[:1])
        assert gallery.model_path == str((tmp_path / "model").resolve())
    assert recorded_model_path(folder) == str((tmp_path / "model").resolve())


def test_a_cosine_gallery_normalises_what_it_indexes(vectors):
    gallery = Gallery(vector_model("cosine"))
    gallery.enroll("a", vectors[:2])
    probe = gallery.model.encode(vectors[:1])
    # The same direction at another length: cosine similarity 1 with its own reference.
    match = gallery.search_embeddings(probe.numpy() * 7.0, k=1)[0][0]
    assert match.identity == "a" and np.isclose(match.score, 1.0, atol=1e-5)
