"""The exported folder describes itself, and OnnxModel answers what the PyTorch model answers:
embeddings, a head's scores (paired and pairwise), threshold, score kind, fingerprint."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch
from onnx_helpers import TEXTS

from siamkit import OnnxModel, export_onnx
from siamkit.errors import ConfigError, DataError, ModelFileError, SiamkitError
from siamkit.gallery import model_fingerprint
from siamkit.runtime.ort import INSTALL


def test_the_folder_describes_the_model(text_model):
    model, _, out = text_model
    config = json.loads((out / "siamkit_onnx.json").read_text())
    assert config["model"] == model.to_config()  # distance, threshold, adapter and tokenizer...
    assert config["model"]["adapter"]["tokenizer"]["vocab"]
    assert config["fingerprint"] == model_fingerprint(model)
    assert config["score_kind"] == "cosine_similarity" and config["embedding_dim"] == 6
    assert config["input"] == {"name": "inputs", "dtype": "int64", "shape": ["batch", "length"],
                               "padding": {"side": "right", "id": 0}}
    assert config["max_abs_difference"]["embeddings"] <= 1e-4


def test_text_model_answers_as_pytorch(text_model):
    model, _, out = text_model
    onnx_model = OnnxModel(out, threads=1)
    assert (onnx_model.threshold, onnx_model.threshold_info) == (model.threshold, model.threshold_info)
    assert onnx_model.score_kind == model.score_kind and onnx_model.embedding_dim == 6
    torch.testing.assert_close(onnx_model.encode(TEXTS, batch_size=4), model.encode(TEXTS),
                               atol=1e-4, rtol=0)
    with torch.no_grad():
        torch.testing.assert_close(onnx_model.similarity(TEXTS[:3], TEXTS[3:]),
                                   model.similarity(TEXTS[:3], TEXTS[3:]), atol=1e-5, rtol=0)
        assert onnx_model.verify(TEXTS[:3], TEXTS[3:]).tolist() == model.verify(TEXTS[:3], TEXTS[3:]).tolist()


def test_long_text_batches_run_by_length_in_chunks(text_model):
    model, _, out = text_model
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(TEXTS, size=int(rng.integers(1, 4)))) for _ in range(150)]
    batch = model.prepare(texts)  # padded to the longest of 150 texts of 1-3 sentences
    assert (batch == 0).any(dim=1).float().mean() > 0.5
    with torch.no_grad():
        torch.testing.assert_close(OnnxModel(out).embed(batch), model.embed(batch), atol=1e-4,
                                   rtol=0)


def test_head_scores_agree_paired_and_pairwise(head_model):
    model, _, out = head_model
    onnx_model = OnnxModel(out)
    assert onnx_model.score_kind == "probability"
    assert onnx_model.score_scale.index_metric == model.score_scale.index_metric == "l1"
    x = torch.randn(9, 4) * 2 + 1
    with torch.no_grad():
        u, v = model.embed(x[:5]), model.embed(x[4:])
        want = model.score_embeddings(u, v)
        assert want.std() > 0.01
        torch.testing.assert_close(onnx_model.score_embeddings(u, v), want, atol=1e-5, rtol=0)
        torch.testing.assert_close(onnx_model.pairwise_scores(u, v[:3], chunk_size=2),
                                   model.pairwise_scores(u, v[:3]), atol=1e-5, rtol=0)


def test_a_gallery_enrolled_with_pytorch_accepts_the_export(head_model, tmp_path):
    from siamkit import Gallery

    model, _, out = head_model
    x = torch.randn(6, 4)
    gallery = Gallery(model, tmp_path / "g")
    gallery.enroll_many([f"id{i}" for i in range(6)], x)
    gallery.close()
    reopened = Gallery(OnnxModel(out), tmp_path / "g")
    found = reopened.identify(x[:3] + 0.01, k=1)
    assert [r.candidates[0].identity for r in found] == ["id0", "id1", "id2"]


def test_inputs_of_another_dtype_are_refused(head_model, tmp_path):
    model, _, out = head_model
    with pytest.raises(DataError, match="reads float32 batches, got bool"):
        OnnxModel(out).run(torch.ones(2, 4, dtype=torch.bool))


def test_missing_onnxruntime_is_one_line(monkeypatch, head_model):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` raises ImportError
    with pytest.raises(SiamkitError) as caught:
        OnnxModel(head_model[2])
    assert str(caught.value) == INSTALL == "ONNX Runtime is not installed: pip install siamkit[onnx]"


def test_bad_folders_are_named(tmp_path, head_model):
    with pytest.raises(ModelFileError, match="no such folder"):
        OnnxModel(tmp_path / "missing")
    with pytest.raises(ModelFileError, match="PyTorch model folder: export it"):
        OnnxModel(head_model[1])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "siamkit_onnx.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        OnnxModel(tmp_path / "bad")
    with pytest.raises(ConfigError, match="already exists"):
        export_onnx(head_model[0], head_model[2])
