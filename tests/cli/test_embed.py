"""``siamkit embed``: .npy and .csv output equal to the model's own embeddings."""

from __future__ import annotations

import csv
import json

import numpy as np
import torch
from cli_helpers import assert_clean_error

from siamkit import SiameseNetwork


def test_embed_vectors_npy_round_trip(cli, vector_model, tmp_path):
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "emb.npy"
    result = cli("embed", vector_model, tmp_path / "x.npy", "--out", out, "--batch-size", "3", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"out": str(out), "n": 7, "dim": 3}
    model = SiameseNetwork.load(vector_model)
    with torch.no_grad():
        expected = model.embed(torch.from_numpy(x)).numpy()
    got = np.load(out, allow_pickle=False)
    assert got.dtype == np.float32 and got.shape == (7, 3)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_embed_image_folder_to_csv(cli, image_model, images, tmp_path):
    out = tmp_path / "emb.csv"
    result = cli("embed", image_model, images[0].parent, "--out", out)
    assert result.code == 0, result.err
    assert "wrote 3 embeddings of dimension 5" in result.out
    rows = list(csv.reader(out.read_text().splitlines()))
    assert rows[0] == ["input", "e0", "e1", "e2", "e3", "e4"]
    assert [r[0] for r in rows[1:]] == [str(p) for p in images]  # sorted folder order
    model = SiameseNetwork.load(image_model)
    with torch.no_grad():
        expected = model.embed([str(p) for p in images]).numpy()
    np.testing.assert_allclose(np.array([[float(v) for v in r[1:]] for r in rows[1:]]), expected,
                               rtol=1e-5, atol=1e-6)


def test_embed_then_verify_agree(cli, vector_model, tmp_path):
    """The score verify prints is the model's score of the embeddings embed writes."""
    cli("embed", vector_model, "1,0,0,0", "0,1,0,0", "--out", tmp_path / "e.npy")
    e = np.load(tmp_path / "e.npy")
    score = json.loads(cli("verify", vector_model, "1,0,0,0", "0,1,0,0", "--json").out)["score"]
    assert abs(score - (-np.linalg.norm(e[0] - e[1]))) < 1e-5


def test_embed_errors(cli, vector_model, tmp_path):
    assert_clean_error(cli("embed", vector_model, "1,2,3,4", "--out", tmp_path / "e.txt"))
    assert_clean_error(cli("embed", vector_model, "--out", tmp_path / "e.npy"))
    assert_clean_error(cli("embed", vector_model, tmp_path / "missing.npy", "--out", tmp_path / "e.npy"))
    assert_clean_error(cli("embed", vector_model, "1,2,3,4"), code=2)  # --out is required
    pickled = tmp_path / "obj.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert_clean_error(cli("embed", vector_model, pickled, "--out", tmp_path / "e.npy"))
    assert not (tmp_path / "e.npy").exists()
