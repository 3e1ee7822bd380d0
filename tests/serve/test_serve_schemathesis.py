"""Property-based fuzzing of every operation in the OpenAPI schema (schemathesis): whatever the
generated request, valid or not, the service answers below 500."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis",
                                   reason="schemathesis is not installed (test extra)")
from hypothesis import HealthCheck, settings  # noqa: E402
from serve_helpers import random_vectors, vector_model  # noqa: E402

from siamkit.gallery import Gallery  # noqa: E402
from siamkit.serve import Limits, create_app  # noqa: E402

pytestmark = pytest.mark.slow

_model = vector_model(threshold=-0.5)
_gallery = Gallery(_model)
_gallery.enroll_many(["alice", "bob", "alice"], random_vectors(3))
app = create_app(_model, _gallery, limits=Limits(max_batch=16, max_request_bytes=200_000))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gives_a_server_error(case):
    response = case.call()
    where = f"{case.method} {case.path}: {response.status_code}"
    assert response.status_code < 500, f"{where} {response.text[:300]}"
