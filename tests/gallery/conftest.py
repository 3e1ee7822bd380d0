"""Fixtures of the gallery tests."""

from __future__ import annotations

import numpy as np
import pytest
from gallery_helpers import random_vectors


@pytest.fixture
def vectors() -> np.ndarray:
    return random_vectors()
