"""``serve --runtime onnx``: the service around an exported model answers what the PyTorch service
answers (FastAPI's test client), for a text model and for a model with a head."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from onnx_helpers import TEXTS

from siamkit import OnnxModel
from siamkit.serve import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette warns about httpx on importing its client
    from fastapi.testclient import TestClient


def both(model, out):
    return TestClient(create_app(model)), TestClient(create_app(OnnxModel(out, threads=1)))


def test_text_service_answers_the_same(text_model):
    model, _, out = text_model
    torch_client, onnx_client = both(model, out)
    pairs = {"a": {"texts": TEXTS[:3]}, "b": {"texts": TEXTS[3:]}}
    for route in ("/api/similarity", "/api/verify"):
        want, got = (c.post(route, json=pairs) for c in (torch_client, onnx_client))
        assert want.status_code == got.status_code == 200, got.text
        want, got = want.json(), got.json()
        np.testing.assert_allclose(got.pop("scores"), want.pop("scores"), atol=1e-5)
        assert got == want  # score kind, threshold, decisions, warnings
    want, got = (c.post("/api/embed", json={"texts": TEXTS}).json() for c in (torch_client, onnx_client))
    np.testing.assert_allclose(got["embeddings"], want["embeddings"], atol=1e-4)
    info = [c.get("/api/model").json() for c in (torch_client, onnx_client)]
    assert info[0] == info[1]


def test_head_service_answers_the_same_and_refuses_the_same(head_model):
    model, _, out = head_model
    torch_client, onnx_client = both(model, out)
    v = np.random.default_rng(0).normal(1.0, 2.0, (6, 4)).round(3).tolist()
    pairs = {"a": {"vectors": v[:3]}, "b": {"vectors": v[3:]}}
    want, got = (c.post("/api/verify", json=pairs).json() for c in (torch_client, onnx_client))
    np.testing.assert_allclose(got.pop("scores"), want.pop("scores"), atol=1e-5)
    assert got == want and want["score_kind"] == "probability"
    bad = {"a": {"vectors": [[1.0, 2.0]]}, "b": {"vectors": v[:1]}}
    want, got = (c.post("/api/similarity", json=bad) for c in (torch_client, onnx_client))
    assert want.status_code == got.status_code == 422 and want.json() == got.json()


@pytest.mark.parametrize("runtime", ["onnx"])
def test_serve_command_builds_the_onnx_service(head_model, monkeypatch, runtime):
    import siamkit.serve as service
    from siamkit.cli import main

    seen = {}
    monkeypatch.setattr(service, "run", lambda model, gallery, **kw: seen.update(model=model))
    assert main(["serve", str(head_model[2]), "--runtime", runtime, "--threads", "1"]) == 0
    assert isinstance(seen["model"], OnnxModel) and seen["model"].threads == 1
