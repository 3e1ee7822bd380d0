"""Identification by identity prototypes (``scoring="prototype"``) against a brute-force
computation: per identity the mean of its reference embeddings (normalised first and renormalised
for cosine), scored against each probe with plain NumPy; the rule is kept with a saved gallery
and chosen from the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from gallery_helpers import DIM_IN, vector_model

from siamkit.cli import main
from siamkit.errors import ConfigError
from siamkit.gallery import Gallery

SIZES = [1, 3, 9, 2, 5, 1, 4]


def _gallery(model, vectors, **kw):
    gallery = Gallery(model, **kw)
    start = 0
    for i, size in enumerate(SIZES):
        gallery.enroll(f"id{i}", vectors[start:start + size])
        start += size
    gallery.enroll("id0", vectors[start:start + 2])  # a second enrollment joins the first
    return gallery


def _brute_force(model, vectors, probes, k, cosine):
    emb = model.encode(torch.from_numpy(vectors)).detach().numpy().astype(np.float64)
    q = model.encode(torch.from_numpy(probes)).detach().numpy().astype(np.float64)
    owner, start = {}, 0
    for i, size in enumerate(SIZES):
        owner.update({j: f"id{i}" for j in range(start, start + size)})
        start += size
    owner.update({start: "id0", start + 1: "id0"})
    names = sorted(set(owner.values()))
    out = []
    for p in q:
        scored = []
        for name in names:
            refs = np.array([emb[j] for j in owner if owner[j] == name])
            if cosine:
                refs = refs / np.linalg.norm(refs, axis=1, keepdims=True)
                mean = refs.mean(0) / np.linalg.norm(refs.mean(0))
                score = float(p @ mean / np.linalg.norm(p))
            else:
                score = -float(np.sqrt(((p - refs.mean(0)) ** 2).sum()))
            scored.append((score, name))
        scored.sort(key=lambda t: -t[0])
        out.append(scored[:k])
    return out


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
def test_prototype_scoring_matches_brute_force(distance):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(sum(SIZES) + 2, DIM_IN)).astype(np.float32)
    probes = rng.normal(size=(9, DIM_IN)).astype(np.float32)
    model = vector_model(distance)
    gallery = _gallery(model, vectors, scoring="prototype")
    got = gallery.identify(probes, k=4)
    want = _brute_force(model, vectors, probes, 4, distance == "cosine")
    for row, expected in enumerate(want):
        assert list(got.candidate_identities[row]) == [n for _, n in expected]
        np.testing.assert_allclose(got.candidate_scores[row], [s for s, _ in expected],
                                   rtol=1e-5, atol=1e-5)
    assert (got.candidate_reference_ids == -1).all()
    nearest = _gallery(model, vectors).identify(probes, k=4)  # the default rule differs
    assert not np.allclose(nearest.candidate_scores, got.candidate_scores)


def test_the_rule_is_kept_with_a_saved_gallery(tmp_path):
    model = vector_model()
    vectors = np.random.default_rng(1).normal(size=(sum(SIZES) + 2, DIM_IN)).astype(np.float32)
    with _gallery(model, vectors, scoring="prototype") as g:
        before = g.identify(vectors[:3], k=2).candidate_scores
        g.save(tmp_path / "g")
    with Gallery(model, tmp_path / "g") as reopened:
        assert reopened.scoring_ == "prototype"
        np.testing.assert_allclose(reopened.identify(vectors[:3], k=2).candidate_scores, before)
    with pytest.raises(ConfigError, match="scoring"):
        Gallery(model, scoring="mean")


def test_cli_scoring_flag(tmp_path, capsys):
    model = vector_model()
    folder = model.save(tmp_path / "model")
    rng = np.random.default_rng(2)
    for name in ("a", "b"):
        np.save(tmp_path / f"{name}.npy", rng.normal(size=(3, DIM_IN)).astype(np.float32))
        assert main(["gallery", "enroll", name, str(tmp_path / f"{name}.npy"), "-g",
                     str(tmp_path / "g"), "-m", str(folder), "--scoring", "prototype"]) == 0
    capsys.readouterr()
    assert main(["gallery", "identify", str(tmp_path / "a.npy"), "-g", str(tmp_path / "g"),
                 "-k", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    with Gallery(model, tmp_path / "g") as g:
        assert g.scoring_ == "prototype"
    assert "a" in json.dumps(out)
