"""The HTTP API returns what the model and the gallery return in Python, for every modality."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image
from serve_helpers import image_model, make_client, png_bytes, random_vectors, vector_model

from siamkit.serve import create_app


def test_health_and_model_description(vector_client):
    from siamkit import __version__

    assert vector_client.get("/api/health").json() == {"status": "ok", "version": __version__,
                                                       "gallery": True}
    info = vector_client.get("/api/model").json()
    assert info["modality"] == "vector" and info["input"] == {"input_dim": 6}
    assert info["score_kind"] == "negative_euclidean" and info["threshold"] == -0.5
    gallery = info["gallery"]
    assert gallery.pop("index_bytes") > 0
    assert gallery == {"identities": 0, "references": 0, "index": "flat", "factory": "Flat",
                       "trained": True, "training_needs": 0, "vectors": "float32",
                       "backend": "faiss", "scoring": "nearest", "read_only": False}


def test_embed_and_similarity_match_the_model(vector_client):
    model = vector_client.app.state.siamkit.model
    v = random_vectors(4)
    got = np.array(vector_client.post("/api/embed",
                                      json={"vectors": v.tolist()}).json()["embeddings"])
    np.testing.assert_allclose(got, model.encode(torch.from_numpy(v)).numpy(), rtol=1e-5, atol=1e-6)
    body = vector_client.post("/api/similarity", json={"a": {"vectors": v[:2].tolist()},
                                                        "b": {"vectors": v[2:].tolist()}}).json()
    want = model.similarity(torch.from_numpy(v[:2]), torch.from_numpy(v[2:])).tolist()
    assert body["scores"] == pytest.approx(want, abs=1e-5)
    assert body["same"] == [s >= -0.5 for s in body["scores"]] and body["threshold"] == -0.5
    same = {"a": {"vectors": v[:1].tolist()}, "b": {"vectors": v[:1].tolist()}}
    assert vector_client.post("/api/verify", json=same).json()["same"] == [True]


def test_gallery_round_trip_over_http(vector_client):
    v = random_vectors(6)
    r = vector_client.post("/api/gallery/enroll",
                           json={"identity": "ann", "vectors": v[:2].tolist(),
                                                        "metadata": {"desk": 4}})
    assert r.status_code == 200 and r.json() == {"identity": "ann", "reference_ids": [1, 2],
                                                 "n_references": 2}
    vector_client.post("/api/gallery/enroll", json={"identity": "ben", "vectors": v[2:4].tolist()})
    res = vector_client.post("/api/gallery/identify",
                             json={"vectors": [v[3].tolist(), (v[3] + 40).tolist()],
                                                            "k": 2}).json()["results"]
    assert res[0]["identity"] == "ben" and res[0]["known"] is True
    assert [c["identity"] for c in res[0]["candidates"]] == ["ben", "ann"]
    assert res[1]["identity"] is None and res[1]["known"] is False  # far from everyone: unknown
    ver = vector_client.post("/api/gallery/verify",
                             json={"identity": "ann", "vectors": [v[0].tolist()],
                                                          "aggregate": "mean"}).json()["results"][0]
    gallery = vector_client.app.state.siamkit.gallery
    want = gallery.verify("ann", v[0], aggregate="mean")[0]
    assert ver["score"] == pytest.approx(want.score) and ver["accepted"] == want.accepted
    listed = vector_client.get("/api/gallery/identities").json()
    assert listed["n_identities"] == 2 and listed["identities"][0]["metadata"] == {"desk": 4}
    removed = vector_client.delete("/api/gallery/identities/ann").json()
    assert removed == {"identity": "ann", "removed": 2}
    assert vector_client.get("/api/gallery/identities").json()["n_references"] == 2


def test_images_as_uploads_base64_and_data_urls_agree(image_client):
    model = image_client.app.state.siamkit.model
    a, b = png_bytes(1), png_bytes(2, mode="RGB")  # an RGB upload is converted to the model's grey
    up = image_client.post("/api/similarity/upload", files={"a": ("a.png", a, "image/png"),
                                                            "b": ("b.png", b, "image/png")}).json()
    as_json = image_client.post("/api/similarity", json={
        "a": {"images": [base64.b64encode(a).decode()]},
        "b": {"images": ["data:image/png;base64," + base64.b64encode(b).decode()]}}).json()
    assert up["scores"] == pytest.approx(as_json["scores"], abs=1e-6)
    want = model.similarity([Image.open(io.BytesIO(a))], [Image.open(io.BytesIO(b))]).item()
    assert up["scores"][0] == pytest.approx(want, abs=1e-5)
    enrolled = image_client.post("/api/gallery/enroll/upload",
                                 data={"identity": "cat", "metadata": '{"x": 1}'},
                                 files=[("files", ("a.png", a, "image/png")),
                                        ("files", ("b.png", b, "image/png"))])
    assert enrolled.json()["n_references"] == 2
    found = image_client.post("/api/gallery/identify/upload", data={"k": "1"},
                              files={"files": ("a.png", a, "image/png")}).json()["results"][0]
    assert found["identity"] == "cat" and found["score"] == pytest.approx(0.0, abs=1e-4)
    ver = image_client.post("/api/gallery/verify/upload", data={"identity": "cat"},
                            files={"files": ("b.png", b, "image/png")}).json()["results"][0]
    assert ver["accepted"] is True


def test_texts_as_json(text_client):
    q = "how do I reset my password"
    text_client.post("/api/gallery/enroll", json={"identity": "q1", "texts": [q]})
    body = text_client.post("/api/similarity",
                            json={"a": {"texts": [q]}, "b": {"texts": [q]}}).json()
    assert body["scores"][0] == pytest.approx(1.0, abs=1e-5)
    assert body["score_kind"] == "cosine_similarity"
    assert text_client.post("/api/gallery/identify",
                            json={"texts": [q]}).json()["results"][0]["identity"] == "q1"


def test_api_key_guards_everything_but_health_and_pages():
    client = make_client(vector_model(), api_key="s3cret")
    v = random_vectors(1).tolist()
    assert client.get("/api/health").status_code == 200
    assert client.get("/").status_code == 200 and client.get("/static/app.js").status_code == 200
    for headers in ({}, {"X-API-Key": "wrong"}):
        r = client.post("/api/embed", json={"vectors": v}, headers=headers)
        assert r.status_code == 401 and "X-API-Key" in r.json()["detail"]
        assert client.get("/api/gallery/identities", headers=headers).status_code == 401
    assert client.post("/api/embed", json={"vectors": v},
                       headers={"X-API-Key": "s3cret"}).status_code == 200


def test_openapi_schema_lists_every_route(vector_client):
    paths = vector_client.get("/openapi.json").json()["paths"]
    for path in ["/api/health", "/api/model", "/api/embed", "/api/embed/upload", "/api/similarity",
                 "/api/similarity/upload", "/api/verify", "/api/verify/upload",
                 "/api/gallery/enroll", "/api/gallery/enroll/upload", "/api/gallery/identify",
                 "/api/gallery/identify/upload",
                 "/api/gallery/verify", "/api/gallery/verify/upload", "/api/gallery/identities",
                 "/api/gallery/identities/{identity}"]:
        assert path in paths


def test_pages_are_served(vector_client):
    assert 'data-page="compare"' in vector_client.get("/").text
    assert 'data-page="identify"' in vector_client.get("/identify").text


def test_a_gallery_of_another_model_is_refused():
    from siamkit.errors import SiamkitError
    from siamkit.gallery import Gallery

    with pytest.raises(SiamkitError, match="another model"):
        create_app(vector_model(seed=0), Gallery(vector_model(seed=1)))


def test_a_model_without_gallery_or_threshold(tmp_path):
    client = make_client(image_model(threshold=None), with_gallery=False)
    a = png_bytes(0)
    r = client.post("/api/verify/upload", files={"a": ("a.png", a), "b": ("b.png", a)})
    assert r.status_code == 409 and "threshold" in r.json()["detail"]
    r = client.post("/api/similarity/upload", files={"a": ("a.png", a), "b": ("b.png", a)}).json()
    assert r["same"] is None and r["threshold"] is None
    r = client.post("/api/gallery/identify/upload", files={"files": ("a.png", a)})
    assert r.status_code == 404 and "--gallery" in r.json()["detail"]
