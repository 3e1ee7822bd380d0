"""One contract for every gallery backend (FAISS in the process, a Milvus Lite collection): the
same answers as exact search, open-set rejection, verify, search, remove, reopening, the model
fingerprint check, and no acknowledged enrollment lost when the process dies without closing.
Milvus Lite runs from one shared local file per module (it starts a server per file)."""

from __future__ import annotations

import importlib.util
import itertools
import warnings

import faiss
import numpy as np
import pytest
import torch
from gallery_helpers import random_vectors, vector_model

from siamkit import SiamkitWarning
from siamkit.gallery import Gallery, ModelMismatchError

HAS_MILVUS = (importlib.util.find_spec("pymilvus") is not None
              and importlib.util.find_spec("milvus_lite") is not None)
_names = itertools.count()


@pytest.fixture(scope="module")
def milvus_uri(tmp_path_factory):
    return str(tmp_path_factory.mktemp("milvus") / "galleries.db")


@pytest.fixture(params=["faiss", pytest.param("milvus", marks=pytest.mark.skipif(
    not HAS_MILVUS, reason="pymilvus / milvus-lite not installed (extra 'milvus')"))])
def open_gallery(request, milvus_uri):
    """``open_gallery(model, path=None, **kw)`` on the backend under test, one collection per
    test (the same collection again for the same path)."""
    collections: dict = {}

    def make(model, path=None, **kw):
        if request.param == "milvus":
            key = str(path)
            name = collections.setdefault(key, f"c{next(_names)}")
            kw = {"backend": "milvus", "uri": milvus_uri, "collection": name, **kw}
        return Gallery(model, path, **kw)

    make.backend = request.param
    return make


def enrolled(open_gallery, model, path=None, n=30):
    g = open_gallery(model, path)
    vecs = random_vectors(2 * n, seed=3)
    for i in range(n):
        g.enroll(f"p{i}", vecs[2 * i:2 * i + 2], metadata={"i": i})
    return g, vecs


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
def test_identify_agrees_with_exact_faiss_search(open_gallery, distance):
    model = vector_model(distance, threshold=-0.5 if distance == "euclidean" else 0.5)
    g, vecs = enrolled(open_gallery, model)
    probes = vecs[::3] + 0.01
    with torch.no_grad():
        emb = model.encode(torch.from_numpy(probes)).numpy()
        refs = model.encode(torch.from_numpy(vecs)).numpy()  # ids 1..60 in enrollment order
    index = faiss.IndexFlatL2(refs.shape[1]) if distance == "euclidean" else \
        faiss.IndexFlatIP(refs.shape[1])
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    index.add(refs if distance == "euclidean" else unit(refs))
    _, nearest = index.search(emb if distance == "euclidean" else unit(emb), 1)
    got = g.identify(probes, k=3)
    assert got.candidate_identities[:, 0].tolist() == [f"p{i // 2}" for i in nearest[:, 0]]
    flat = Gallery(model)
    for i in range(30):
        flat.enroll(f"p{i}", vecs[2 * i:2 * i + 2])
    np.testing.assert_allclose(got.candidate_scores, flat.identify(probes, k=3).candidate_scores,
                               rtol=1e-4, atol=1e-5)


def test_open_set_rejection_verify_search_and_remove(open_gallery):
    model = vector_model(threshold=-0.05)
    g, vecs = enrolled(open_gallery, model)
    r = g.identify(np.vstack([vecs[4] + 1e-3, vecs[4] + 50.0]), k=2)
    assert r[0].identity == "p2" and r[0].known is True
    assert r[1].known is False and r[1].identity is None
    v = g.verify("p2", np.vstack([vecs[5], vecs[40]]))
    assert [x.accepted for x in v] == [True, False]
    matches = g.search(vecs[6], k=2)[0]
    assert matches[0].identity == "p3" and matches[0].metadata == {}
    assert g.remove("p3") == 2 and "p3" not in g and g.n_references == 58
    assert g.identify(vecs[6], k=1)[0].candidates[0].identity != "p3"


def test_reopen_gives_the_same_answers_and_refuses_another_model(open_gallery, tmp_path):
    model = vector_model()
    g, vecs = enrolled(open_gallery, model, tmp_path / "g")
    before = g.identify(vecs[::5], k=3).candidate_identities.tolist()
    g.close()
    g2 = open_gallery(model, tmp_path / "g")
    assert g2.n_references == 60 and {i.identity: i.metadata for i in g2.list()}["p14"] == {"i": 14}
    assert g2.identify(vecs[::5], k=3).candidate_identities.tolist() == before
    g2.close()
    with pytest.raises(ModelMismatchError):
        open_gallery(vector_model(seed=1), tmp_path / "g")


def test_a_process_that_dies_without_closing_loses_no_enrollment(open_gallery, tmp_path):
    model = vector_model()
    g, vecs = enrolled(open_gallery, model, tmp_path / "g")
    g.close()
    g = open_gallery(model, tmp_path / "g")
    g.enroll("late", vecs[0] + 30.0)
    g.remove("p1")
    del g  # no close: FAISS's saved index predates both changes; Milvus has them already
    if open_gallery.backend == "faiss":
        with pytest.warns(SiamkitWarning):
            g2 = open_gallery(model, tmp_path / "g")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SiamkitWarning)
            g2 = open_gallery(model, tmp_path / "g")
    assert g2.n_references == 59 and "p1" not in g2
    assert g2.identify(vecs[0] + 30.0, k=1)[0].identity == "late"


@pytest.mark.skipif(not HAS_MILVUS, reason="pymilvus / milvus-lite not installed")
def test_milvus_lite_still_searches_after_faiss_torch_utils_is_imported(milvus_uri):
    import faiss.contrib.torch_utils  # noqa: F401  (pytorch-metric-learning imports it)

    g = Gallery(vector_model(), backend="milvus", uri=milvus_uri, collection="torch_utils")
    vecs = random_vectors(4)
    g.enroll_many_embeddings(["a", "b"], vecs[:2, :4])
    assert g.identify_embeddings(vecs[:1, :4], k=1)[0].identity == "a"
