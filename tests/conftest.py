"""Shared test settings: deterministic, and CPU threads kept small so two test processes fit 2 cores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture
def shared_data() -> Path:
    """The shared real-data folder (MNIST, kjv-web) named by SIAMKIT_DATA; skip where absent."""
    root = os.environ.get("SIAMKIT_DATA")
    if not root or not Path(root).is_dir():
        pytest.skip("real data not available: set SIAMKIT_DATA to a folder with mnist/ and paraphrase/")
    return Path(root)
