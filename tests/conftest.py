"""Shared test settings: deterministic, and CPU threads kept small so two test processes fit 2 cores.

The real data (MNIST, kjv-web) are found in ``$SIAMKIT_DATA``, else in a ``shared/data`` folder
beside the checkout (``../shared/data``, or one level further up for a worktree in a folder of
worktrees), as the project lays them out. Only the test suite looks there: the library's default
stays ``$SIAMKIT_DATA``, then the user's cache folder (:mod:`siamkit.data.datasets.paths`). Where
found, ``SIAMKIT_DATA`` is set for the session, so that code under test that resolves the data
folder itself (benchmarks, the command line) finds the same files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from data_location import find_shared_data

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

SHARED_DATA = find_shared_data()
if SHARED_DATA is not None and not os.environ.get("SIAMKIT_DATA"):
    os.environ["SIAMKIT_DATA"] = str(SHARED_DATA)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture
def shared_data() -> Path:
    """The shared real-data folder (MNIST, kjv-web): ``$SIAMKIT_DATA`` or ``../shared/data``;
    skip where absent."""
    if SHARED_DATA is None or not SHARED_DATA.is_dir():
        pytest.skip("real data not available: set SIAMKIT_DATA to a folder with mnist/ and "
                    "paraphrase/, or put it at ../shared/data beside the checkout")
    return SHARED_DATA
