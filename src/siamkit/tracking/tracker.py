"""Following a target with a trained SiamFC model: multi-scale search, cosine window, damping.

Bertinetto et al. (2016), "Fully-Convolutional Siamese Networks for Object Tracking", section 2.4:
the exemplar's features are computed once, from the first frame, and never updated. For each new
frame the search region is cropped around the previous position at a few scales; the score maps are
upsampled (bicubic) for sub-pixel peaks, the scales other than the current one are penalised, the
best map is normalised and blended with a cosine (Hann) window that discourages large jumps, and its
peak gives the displacement. The size follows the best scale with damping.

Any object with ``init(frame, box)`` and ``update(frame) -> box`` (this :class:`Tracker`, or the
template-matching baseline :class:`siamkit.tracking.NCCTracker`) runs through :func:`run_tracker`.
Boxes are ``(x, y, w, h)`` in pixels, ``(x, y)`` the top-left corner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterable, Protocol

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import DataError
from .crops import context_size, crop_and_resize
from .frames import as_box, frame_tensor
from .model import SiamFCTracker


class SingleTargetTracker(Protocol):
    def init(self, frame: np.ndarray, box: np.ndarray) -> None: ...

    def update(self, frame: np.ndarray) -> np.ndarray: ...


@dataclass
class TrackResult:
    """Boxes ``[T, 4]`` (x, y, w, h; row 0 is the given box) and the speed of the tracker alone
    (frames per second over ``init`` and every ``update``, excluding reading the frames)."""

    boxes: np.ndarray
    seconds: float
    fps: float


class Tracker:
    """A SiamFC tracker in use: ``init(frame, box)`` once, then ``update(frame) -> box`` per frame.

    ``params`` override the model's saved search settings (:class:`TrackingParams`).
    """

    def __init__(self, model: SiamFCTracker, **params: Any) -> None:
        self.model = model.eval()
        self.params = model.params.updated(params)
        p, n = self.params, model.score_size
        self.up_size = (n - 1) * p.upscale + 1
        hann = torch.hann_window(self.up_size + 2, periodic=False)[1:-1]  # strictly positive
        window = torch.outer(hann, hann)
        self.window = window / window.sum()
        self.scales = p.scale_step ** (
            torch.arange(p.num_scales, dtype=torch.float32) - p.num_scales // 2
        )
        penalty = torch.full((p.num_scales,), p.scale_penalty)
        penalty[p.num_scales // 2] = 1.0
        self.penalty = penalty

    @torch.no_grad()
    def init(self, frame: Any, box: Any) -> None:
        image = frame_tensor(frame, self.model.in_channels)
        x, y, w, h = as_box(box)
        self.center = torch.tensor([x + w / 2, y + h / 2])
        self.size = torch.tensor([w, h])
        self.frame_size = image.shape[1:]
        m = self.model
        side = torch.tensor([context_size(w, h, m.context)])
        self.kernel = m.features(crop_and_resize(image, self.center[None], side, m.exemplar_size))

    @torch.no_grad()
    def update(self, frame: Any) -> np.ndarray:
        if not hasattr(self, "kernel"):
            raise DataError("tracker: call init(frame, box) before update(frame)")
        image = frame_tensor(frame, self.model.in_channels)
        m, p = self.model, self.params
        w, h = self.size.tolist()
        search_side = context_size(w, h, m.context) * m.search_size / m.exemplar_size
        sides = search_side * self.scales
        crops = crop_and_resize(image, self.center.expand(len(sides), 2), sides, m.search_size)
        logits = m.score(self.kernel, m.features(crops))
        up = F.interpolate(
            logits, size=(self.up_size, self.up_size), mode="bicubic", align_corners=True
        )[:, 0]
        best = int(torch.argmax(up.flatten(1).amax(dim=1) * self.penalty))
        response = up[best] - up[best].min()
        response = response / response.sum().clamp_min(1e-12)
        response = (1 - p.window_influence) * response + p.window_influence * self.window
        row, col = divmod(int(torch.argmax(response)), self.up_size)
        # Upsampled cell -> score cell -> search-crop pixels -> frame pixels.
        centre = (self.up_size - 1) / 2
        shift = torch.tensor([col - centre, row - centre]) / p.upscale * m.total_stride
        self.center = self.center + shift * float(sides[best]) / m.search_size
        height, width = self.frame_size
        self.center = torch.stack([self.center[0].clamp(0, width), self.center[1].clamp(0, height)])
        factor = (1 - p.scale_lr) + p.scale_lr * float(self.scales[best])
        # Neither below min_size nor beyond the frame: a runaway size would never come back.
        limit = torch.tensor([float(width), float(height)])
        self.size = torch.minimum((self.size * factor).clamp_min(p.min_size), limit)
        return self.box()

    def box(self) -> np.ndarray:
        """The current box (x, y, w, h)."""
        (cx, cy), (w, h) = self.center.tolist(), self.size.tolist()
        return np.array([cx - w / 2, cy - h / 2, w, h])


def run_tracker(tracker: SingleTargetTracker, frames: Iterable[Any], box: Any) -> TrackResult:
    """Run any tracker over ``frames`` from ``box`` in the first frame."""
    boxes, elapsed, first = [], 0.0, True
    for frame in frames:
        start = time.perf_counter()
        if first:
            tracker.init(frame, box)
            boxes.append(as_box(box))
            first = False
        else:
            boxes.append(np.asarray(tracker.update(frame), dtype=np.float64))
        elapsed += time.perf_counter() - start
    if first:
        raise DataError("track: no frames")
    return TrackResult(np.stack(boxes), elapsed, len(boxes) / max(elapsed, 1e-9))


def track(model: SiamFCTracker, frames: Iterable[Any], box: Any, **params: Any) -> TrackResult:
    """Track the target in ``box`` (x, y, w, h) of the first frame through ``frames`` (arrays
    ``[H, W]`` / ``[H, W, 3]`` uint8, or a ``[T, H, W]`` array). ``params``: search settings."""
    return run_tracker(Tracker(model, **params), frames, box)
