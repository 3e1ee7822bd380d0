"""Fixtures of the serve tests: apps around tiny models, called through Starlette's test client."""

from __future__ import annotations

import warnings

import pytest
from serve_helpers import image_model, text_model, vector_model

from siamkit.gallery import Gallery
from siamkit.serve import Limits, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette 1.x warns about httpx2 on importing its client
    from fastapi.testclient import TestClient


def make_client(model, with_gallery=True, **kw):
    gallery = Gallery(model) if with_gallery else None
    return TestClient(create_app(model, gallery, **kw))


@pytest.fixture
def vector_client():
    return make_client(vector_model(threshold=-0.5),
                       limits=Limits(max_batch=8, max_request_bytes=64_000, max_k=20))


@pytest.fixture
def image_client():
    return make_client(image_model(threshold=-1.0),
                       limits=Limits(max_batch=8, max_image_pixels=100_000))


@pytest.fixture
def text_client():
    return make_client(text_model(threshold=0.9))
