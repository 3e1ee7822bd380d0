"""The NCC template-matching baseline finds its own template and follows a translation."""

from __future__ import annotations

import numpy as np
import pytest

from siamkit.errors import ConfigError
from siamkit.tracking import NCCTracker


def textured(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (64, 80), dtype=np.uint8)


@pytest.mark.parametrize("search", ["full", "window"])
def test_finds_its_template_and_a_shifted_copy(search):
    frame = textured()
    box = np.array([20.0, 10.0, 12.0, 9.0])
    tracker = NCCTracker(search)
    tracker.init(frame, box)
    np.testing.assert_allclose(tracker.update(frame), box)
    shifted = np.roll(frame, (3, -5), axis=(0, 1))  # down 3, left 5
    np.testing.assert_allclose(tracker.update(shifted), box + [-5, 3, 0, 0])


def test_window_search_ignores_a_far_copy():
    frame = np.zeros((64, 128), dtype=np.uint8)
    patch = textured(1)[:10, :10]
    frame[10:20, 10:20] = patch
    tracker = NCCTracker("window", window=2.0)
    tracker.init(frame, (10, 10, 10, 10))
    moved = np.zeros_like(frame)
    moved[40:50, 100:110] = patch  # far outside the window
    moved[12:22, 12:22] = patch // 2 + 10  # a fainter copy nearby: NCC ignores contrast
    np.testing.assert_allclose(tracker.update(moved), [12, 12, 10, 10])
    assert NCCTracker("full").search == "full"


def test_bad_search_mode():
    with pytest.raises(ConfigError, match="search"):
        NCCTracker("everywhere")
