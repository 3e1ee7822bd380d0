"""``siamkit verify``: score, threshold and decision, agreeing with the model in Python."""

from __future__ import annotations

import json

import numpy as np
import torch
from cli_helpers import assert_clean_error

from siamkit import SiameseNetwork


def test_verify_vectors_matches_the_model(cli, vector_model, tmp_path):
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    np.save(a, np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32))
    np.save(b, np.array([1.0, 2.0, 3.0, 5.0], dtype=np.float32))
    result = cli("verify", vector_model, a, b, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    model = SiameseNetwork.load(vector_model)
    with torch.no_grad():
        expected = float(model.similarity(torch.tensor([[1.0, 2, 3, 4]]), torch.tensor([[1.0, 2, 3, 5]]))[0])
    assert abs(data["score"] - expected) < 1e-6
    assert data["threshold"] == -1.0
    assert data["same"] is (expected >= -1.0)
    assert data["score_kind"] == "negative_euclidean"


def test_verify_literal_vectors_and_text_output(cli, vector_model):
    result = cli("verify", vector_model, "1,2,3,4", "1,2,3,4")
    assert result.code == 0, result.err
    assert "decision   same" in result.out  # identical inputs: distance 0, score 0 >= -1
    assert "threshold  -1" in result.out


def test_threshold_flag_overrides_the_model(cli, vector_model):
    data = json.loads(cli("verify", vector_model, "1,2,3,4", "1,2,3,4", "--threshold", "0.5", "--json").out)
    assert data["threshold"] == 0.5 and data["same"] is False


def test_verify_images(cli, image_model, images):
    result = cli("verify", image_model, images[0], images[1], "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["threshold"] is None and data["same"] is None  # an uncalibrated model says so
    model = SiameseNetwork.load(image_model)
    with torch.no_grad():
        expected = float(model.similarity([str(images[0])], [str(images[1])])[0])
    assert abs(data["score"] - expected) < 1e-6
    text = cli("verify", image_model, images[0], images[0]).out
    assert "not calibrated" in text


def test_verify_errors_are_one_line(cli, vector_model, image_model, tmp_path):
    assert_clean_error(cli("verify", tmp_path / "nope", "1", "2"))
    assert_clean_error(cli("verify", vector_model, "1,2,3", "1,2,3,4"))      # wrong length
    assert_clean_error(cli("verify", vector_model, "a,b,c,d", "1,2,3,4"))    # not numbers
    assert_clean_error(cli("verify", image_model, tmp_path / "missing.png", tmp_path / "x.png"))
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    assert_clean_error(cli("verify", image_model, bad, bad))
    assert_clean_error(cli("verify", vector_model, "1,2,3,4"), code=2)       # usage
