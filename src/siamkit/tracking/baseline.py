"""Baseline tracker: normalised cross-correlation template matching on raw pixels.

The template is the target's box in the first frame and is never updated; each new frame is
searched for the position of highest normalised cross-correlation (Lewis 1995, "Fast Normalized
Cross-Correlation", as implemented by scikit-image's ``match_template``), over the whole frame or
over a window around the previous position. The box keeps its first size. This is what SiamFC
improves on: the same "compare the first appearance with every position" idea, but on learned
features instead of raw pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError
from .frames import as_box, frame_tensor


class NCCTracker:
    """Template matching: ``search="full"`` scans the whole frame, ``"window"`` a square of
    ``window`` x the box's larger side around the previous centre (plus the template itself)."""

    def __init__(self, search: str = "window", window: float = 2.0) -> None:
        if search not in ("full", "window"):
            raise ConfigError(f"ncc tracker: search must be 'full' or 'window', got {search!r}")
        self.search = search
        self.window = float(window)
        try:  # imported here, not in update, so that a timed run does not time the import
            from skimage.feature import match_template
        except ImportError:  # pragma: no cover - scikit-image is a test/benchmark extra
            raise ImportError(
                "the NCC baseline needs scikit-image: pip install scikit-image"
            ) from None
        self._match = match_template

    def init(self, frame: Any, box: Any) -> None:
        image = frame_tensor(frame, 1)[0].numpy()
        x, y, w, h = as_box(box)
        x0, y0 = int(round(x)), int(round(y))
        x1, y1 = (
            min(x0 + max(int(round(w)), 1), image.shape[1]),
            min(y0 + max(int(round(h)), 1), image.shape[0]),
        )
        x0, y0 = max(x0, 0), max(y0, 0)
        self.template = image[y0:y1, x0:x1].copy()
        self.size = np.array([w, h])
        self.center = np.array([x + w / 2, y + h / 2])

    def update(self, frame: Any) -> np.ndarray:
        image = frame_tensor(frame, 1)[0].numpy()
        th, tw = self.template.shape
        if self.search == "full":
            ox, oy, region = 0, 0, image
        else:
            half = self.window * max(self.size) / 2 + max(th, tw) / 2
            ox = int(max(0, np.floor(self.center[0] - half)))
            oy = int(max(0, np.floor(self.center[1] - half)))
            region = image[
                oy : int(np.ceil(self.center[1] + half)), ox : int(np.ceil(self.center[0] + half))
            ]
        if region.shape[0] < th or region.shape[1] < tw:
            return self.box()
        scores = self._match(region, self.template)  # [H - th + 1, W - tw + 1], top-left placements
        row, col = np.unravel_index(int(np.argmax(scores)), scores.shape)
        self.center = np.array([ox + col + tw / 2, oy + row + th / 2])
        return self.box()

    def box(self) -> np.ndarray:
        w, h = self.size
        return np.array([self.center[0] - w / 2, self.center[1] - h / 2, w, h])
