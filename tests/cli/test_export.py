"""``siamkit export MODEL --format onnx OUT``, and ``embed`` / ``verify`` with ``--runtime onnx``:
the same embeddings and answers as PyTorch; every failure one line, exit 1 (2 for usage)."""

from __future__ import annotations

import json
import sys

import numpy as np
from cli_helpers import assert_clean_error


def test_export_then_embed_and_verify_on_onnx_runtime(cli, image_model, images, tmp_path):
    out = tmp_path / "onnx"
    done = cli("export", image_model, out, "--format", "onnx", "--json")
    assert done.code == 0, done.err
    report = json.loads(done.out)
    assert report["files"] == ["model.onnx", "siamkit_onnx.json"]
    assert report["input"] == {"name": "inputs", "dtype": "uint8", "shape": ["batch", 1, 8, 8]}
    assert cli("embed", image_model, *images, "--out", tmp_path / "torch.npy").code == 0
    done = cli("embed", out, *images, "--out", tmp_path / "onnx.npy", "--runtime", "onnx",
               "--threads", "1")
    assert done.code == 0, done.err
    np.testing.assert_allclose(np.load(tmp_path / "onnx.npy"), np.load(tmp_path / "torch.npy"),
                               atol=1e-4)
    verdicts = [json.loads(cli("verify", *where, images[0], images[1], "--json").out)
                for where in ((image_model,), (out, "--runtime", "onnx"))]
    assert abs(verdicts[0].pop("score") - verdicts[1].pop("score")) < 1e-5
    assert verdicts[0] == verdicts[1]


def test_export_errors_are_one_line(cli, image_model, tmp_path):
    (tmp_path / "taken").mkdir()
    result = cli("export", image_model, tmp_path / "taken", "--format", "onnx")
    assert_clean_error(result, 1)
    assert "already exists" in result.err
    result = cli("export", image_model, tmp_path / "x", "--format", "tflite")
    assert_clean_error(result, 2)
    assert "invalid choice: 'tflite'" in result.err
    assert_clean_error(cli("export", image_model, tmp_path / "y"), 2)  # --format is required


def test_runtime_onnx_on_a_pytorch_folder_says_export_it(cli, image_model, images, tmp_path):
    result = cli("embed", image_model, images[0], "--out", tmp_path / "e.npy", "--runtime", "onnx")
    assert_clean_error(result, 1)
    assert "export it with siamkit export" in result.err


def test_missing_onnxruntime_is_one_line(cli, image_model, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    for argv in (("export", image_model, tmp_path / "o", "--format", "onnx"),
                 ("embed", tmp_path / "o", "a.png", "--out", tmp_path / "e.npy", "--runtime", "onnx")):
        result = cli(*argv)
        assert_clean_error(result, 1)
        assert result.err.strip() == ("siamkit: error: ONNX Runtime is not installed: "
                                      "pip install siamkit[onnx]"), result.err
    assert not (tmp_path / "o").exists()
