"""Fixtures for the loss tests."""

from __future__ import annotations

import pytest
from loss_helpers import DTYPES


@pytest.fixture(params=DTYPES, ids=["float32", "float64"])
def dtype(request):
    return request.param
