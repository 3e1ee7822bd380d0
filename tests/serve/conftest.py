"""Fixtures of the serve tests: apps around tiny models, called through Starlette's test client."""

from __future__ import annotations

import pytest
from serve_helpers import image_model, make_client, text_model, vector_model

from siamkit.serve import Limits


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
