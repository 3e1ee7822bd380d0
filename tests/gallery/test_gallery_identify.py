"""Identify, search and verify agree with brute-force oracles (scikit-learn, plain loops)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gallery_helpers import vector_model
from sklearn.neighbors import NearestNeighbors

from siamkit.errors import ConfigError, DataError, NotCalibratedError
from siamkit.gallery import Gallery, UnknownIdentityError

# Identities with 1 to 9 references each: more references than the first search fetches for some.
SIZES = [1, 3, 9, 2, 5, 1, 4, 7, 2, 6]


def enrolled(model, vectors, index=None, **kw):
    gallery = Gallery(model, index=index, **kw)
    start, owners = 0, []
    for i, size in enumerate(SIZES):
        gallery.enroll(f"id{i}", vectors[start:start + size])
        owners += [f"id{i}"] * size
        start += size
    return gallery, np.array(owners), model.encode(torch.from_numpy(vectors[:start]))


def oracle_identify(model, refs, owners, probes, k):
    """Per probe: identities by best reference score, from the model's own pairwise scores."""
    scores = model.pairwise_scores(probes, refs).detach().numpy()
    out = []
    for row in scores:
        best = {}
        for owner, s in zip(owners, row):
            best[owner] = max(best.get(owner, -np.inf), s)
        out.append(sorted(best.items(), key=lambda kv: -kv[1])[:k])
    return out


@pytest.mark.parametrize("distance,head", [("euclidean", None), ("squared_euclidean", None),
                                           ("cosine", None), ("manhattan", None),
                                           ("cosine_similarity", None),
                                           ("euclidean", "l1_sigmoid")])
def test_identify_matches_brute_force(vectors, distance, head):
    model = vector_model(distance, head)
    gallery, owners, refs = enrolled(model, vectors)
    probes = torch.from_numpy(np.random.default_rng(1).standard_normal((7, 6)).astype(np.float32))
    got = gallery.identify(probes, k=4)
    want = oracle_identify(model, refs, owners, model.encode(probes), 4)
    for result, expected in zip(got, want):
        assert [c.identity for c in result.candidates] == [name for name, _ in expected]
        np.testing.assert_allclose([c.score for c in result.candidates], [s for _, s in expected],
                                   rtol=1e-4, atol=1e-4)
    assert got.candidate_scores.shape == (7, 4)


def test_nearest_reference_agrees_with_scikit_learn(vectors):
    model = vector_model("manhattan")
    gallery, owners, refs = enrolled(model, vectors)
    probes = model.encode(torch.from_numpy(vectors[:5] + 0.3))
    nn = NearestNeighbors(n_neighbors=6, metric="manhattan").fit(refs.numpy())
    dist, idx = nn.kneighbors(probes.numpy())
    matches = gallery.search_embeddings(probes, k=6)
    for row, d, i in zip(matches, dist, idx):
        np.testing.assert_allclose([m.score for m in row], -d, rtol=1e-5, atol=1e-5)
        assert [m.identity for m in row] == list(owners[i])
        assert [m.reference_id for m in row] == list(i + 1)  # ids count from 1 in enrollment order


def test_k_larger_than_gallery_returns_every_identity_once(vectors):
    gallery, owners, _ = enrolled(vector_model(), vectors)
    result = gallery.identify(vectors[:2], k=50)
    assert result.candidate_scores.shape == (2, len(SIZES))
    for r in result:
        assert sorted(c.identity for c in r.candidates) == sorted(set(owners))
        assert all(a.score >= b.score for a, b in zip(r.candidates, r.candidates[1:]))


def test_open_set_rejection_uses_the_threshold(vectors):
    model = vector_model(threshold=-1e-3)  # only near-exact matches pass
    gallery, _, _ = enrolled(model, vectors)
    result = gallery.identify(np.stack([vectors[0], vectors[0] + 5.0]), k=2)
    assert result[0].known is True and result[0].identity == "id0"
    assert result[1].known is False and result[1].identity is None
    assert result[1].candidates  # the ranking is still there
    assert list(result.known) == [True, False] and list(result.identity) == ["id0", None]
    # a looser threshold passed explicitly overrides the model's
    assert gallery.identify(vectors[0] + 5.0, threshold=-1e9)[0].known is True


def test_without_threshold_identify_is_closed_set_and_verify_refuses(vectors):
    gallery, _, _ = enrolled(vector_model(threshold=None), vectors)
    result = gallery.identify(vectors[5], k=1)[0]  # vectors[4:13] are id2's
    assert result.known is None and result.identity == "id2" and result.threshold is None
    with pytest.raises(NotCalibratedError, match="threshold"):
        gallery.verify("id2", vectors[5])
    assert gallery.verify("id2", vectors[5], threshold=-0.5)[0].accepted


@pytest.mark.parametrize("aggregate", ["max", "mean"])
def test_verify_aggregates_over_the_identitys_references(vectors, aggregate):
    model = vector_model(threshold=-0.8)
    gallery, owners, refs = enrolled(model, vectors)
    probes = torch.from_numpy(vectors[:3] + 0.05)
    results = gallery.verify("id2", probes, aggregate=aggregate)
    own = refs[torch.from_numpy(owners == "id2")]
    scores = model.pairwise_scores(model.encode(probes), own).detach()
    want = scores.max(1).values if aggregate == "max" else scores.mean(1)
    for r, w in zip(results, want.tolist()):
        assert r.score == pytest.approx(w, abs=1e-5)
        assert r.accepted == (w >= -0.8) and r.n_references == 9 and r.aggregate == aggregate


def test_remove_takes_an_identity_out_of_every_answer(vectors):
    gallery, _, _ = enrolled(vector_model(), vectors)
    assert gallery.remove("id2") == 9
    assert "id2" not in gallery and len(gallery) == len(SIZES) - 1
    assert gallery.n_references == sum(SIZES) - 9
    answers = gallery.identify(vectors[:12], k=20)
    assert all(c.identity != "id2" for r in answers for c in r.candidates)
    with pytest.raises(UnknownIdentityError, match="id2"):
        gallery.remove("id2")
    with pytest.raises(UnknownIdentityError):
        gallery.verify("id2", vectors[0], threshold=0.0)
    # enrolling the name again starts a fresh identity
    gallery.enroll("id2", vectors[39])
    assert gallery.identify(vectors[39], k=1)[0].identity == "id2"


def test_list_counts_references_and_merges_metadata(vectors):
    gallery = Gallery(vector_model())
    gallery.enroll("bob", vectors[:2], metadata={"team": "a"})
    gallery.enroll("bob", vectors[2], metadata={"badge": 7}, reference_metadata=[{"note": "late"}])
    gallery.enroll("alice", vectors[3])
    listed = gallery.list()
    assert [(i.identity, i.n_references) for i in listed] == [("alice", 1), ("bob", 3)]
    assert listed[1].metadata == {"team": "a", "badge": 7}
    assert gallery.search(vectors[2], k=1)[0][0].metadata == {"note": "late"}


def test_empty_gallery_answers_with_no_candidates(vectors):
    gallery = Gallery(vector_model(threshold=0.0))
    result = gallery.identify(vectors[:2])
    assert len(result) == 2 and result[0].candidates == [] and result[0].known is False
    assert gallery.search(vectors[0]) == [[]]


@pytest.mark.parametrize("call", [
    lambda g, v: g.identify(v[0], k=0),
    lambda g, v: g.identify(v[0], k=True),
    lambda g, v: g.verify("id0", v[0], aggregate="median", threshold=0.0),
    lambda g, v: Gallery(vector_model(), index="annoy"),
])
def test_bad_arguments_raise_config_errors(vectors, call):
    gallery, _, _ = enrolled(vector_model(), vectors)
    with pytest.raises(ConfigError):
        call(gallery, vectors)


def test_identify_widens_the_search_when_one_identity_fills_the_first_results():
    model = vector_model()
    rng = np.random.default_rng(3)
    crowd = (rng.standard_normal((40, 6)) * 0.01).astype(np.float32)  # 40 references at one spot
    gallery = Gallery(model)
    gallery.enroll("crowd", crowd)
    for i in range(3):
        gallery.enroll(f"far{i}", crowd[:1] + 3.0 * (i + 1))
    result = gallery.identify(crowd[0], k=3)[0]
    assert [c.identity for c in result.candidates] == ["crowd", "far0", "far1"]


def test_enroll_many_equals_one_enroll_per_identity(vectors):
    names = [f"id{i % 7}" for i in range(30)]
    one_by_one, bulk = Gallery(vector_model()), Gallery(vector_model())
    for name, vec in zip(names, vectors[:30]):
        one_by_one.enroll(name, vec)
    bulk.enroll_many(names[:10], vectors[:10])
    bulk.enroll_many(names[10:], vectors[10:30])
    assert [(i.identity, i.n_references) for i in bulk.list()] == \
        [(i.identity, i.n_references) for i in one_by_one.list()]
    probes = vectors[30:] + 0.1
    a, b = one_by_one.identify(probes, k=3), bulk.identify(probes, k=3)
    assert a.candidate_identities.tolist() == b.candidate_identities.tolist()
    # rtol: an MLP's outputs round differently in batches of other sizes
    np.testing.assert_allclose(a.candidate_scores, b.candidate_scores, rtol=1e-5)
    with pytest.raises(DataError, match="2 identities for 3 samples"):
        bulk.enroll_many(["a", "b"], vectors[:3])
