"""Synthetic tracking sequences: glyphs (MNIST digits, or drawn shapes) moving on a larger canvas.

Each sequence follows one target glyph that moves and bounces off the canvas edges while its size
changes smoothly, among distractor glyphs (at least one of the target's own class, so appearance
alone, not class, must tell them apart) that move too and pass in front of or behind it, and an
opaque bar that slides across and may occlude it. Optionally (the ``"hard"`` preset) glyphs also
turn in the image plane and dim, and a textured background pans behind them: the in-plane
rotation, illumination and background-clutter attributes of the OTB benchmark (Wu, Lim & Yang 2013).
Everything is drawn from one seed: the same seed gives the same frames, so a benchmark set is fixed.
Ground truth is the tight box of the target's ink, ``(x, y, w, h)``, and the fraction of that ink
left visible in each frame.

This is the moving-digits idea of Srivastava, Mansimov & Salakhutdinov (2015), "Unsupervised
Learning of Video Representations using LSTMs" (Moving MNIST), made into a tracking benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DataError
from ._motion import Mover, clutter_field

# Named settings of make_sequence. "distractors": moving look-alikes, occlusion and scale change
# only; "hard": also rotation up to +-30 degrees, dimming up to 40 %, background clutter and larger
# scale change.
PRESETS: dict[str, dict[str, Any]] = {
    "distractors": {},
    "hard": {"rotation": 30.0, "dimming": 0.4, "clutter": 0.3, "scale_amplitude": 0.35},
}


@dataclass
class TrackingSequence:
    """Frames (``uint8 [T, H, W]``, or a list of arrays), boxes ``float [T, 4]`` (x, y, w, h), the
    visible fraction of the target ``[T]`` (None: fully visible throughout) and, where known, the
    boxes of distractors ``[T, n, 4]`` (training uses them for hard negatives). Build one from your
    own annotated video to train on it: ``TrackingSequence(read_frames(folder), boxes)``."""

    frames: Any
    boxes: np.ndarray
    visible: np.ndarray | None = None
    name: str = "sequence"
    info: dict[str, Any] = field(default_factory=dict)
    distractors: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float64)
        if self.boxes.shape != (len(self.frames), 4):
            raise DataError(
                f"sequence {self.name}: {len(self.frames)} frames but boxes of shape "
                f"{self.boxes.shape}"
            )
        if self.visible is None:
            self.visible = np.ones(len(self.frames))

    def __len__(self) -> int:
        return len(self.frames)


def make_sequence(
    glyphs: np.ndarray,
    labels: np.ndarray,
    seed: int | np.random.Generator = 0,
    *,
    length: int = 100,
    canvas: int = 128,
    n_distractors: int = 3,
    n_same_class: int = 1,
    scale_range: tuple[float, float] = (0.8, 1.4),
    scale_amplitude: float = 0.25,
    speed: tuple[float, float] = (1.0, 3.5),
    rotation: float = 0.0,
    dimming: float = 0.0,
    clutter: float = 0.0,
    occluder_probability: float = 0.5,
    noise: float = 4.0,
    name: str = "sequence",
) -> TrackingSequence:
    """One sequence from ``glyphs`` (``uint8 [N, h, w]`` white on black) with class ``labels [N]``.

    Every glyph has its own speed (pixels per frame, within ``speed``), size (``side x scale``, the
    scale drawn from ``scale_range``) and smooth periodic changes with amplitudes drawn up to:
    ``scale_amplitude`` (log-size), ``rotation`` (in-plane angle, degrees) and ``dimming`` (fraction
    of brightness lost). ``clutter`` is the contrast of a smooth background texture that pans like a
    moving camera; ``noise`` the standard deviation of pixel noise (grey levels).
    """
    glyphs = np.asarray(glyphs)
    labels = np.asarray(labels).reshape(-1)
    if glyphs.ndim != 3 or len(glyphs) != len(labels) or len(glyphs) < 2:
        raise DataError(
            "sequences: need glyphs [N, h, w] with N >= 2 and one label each, "
            f"got {glyphs.shape}, {labels.shape}"
        )
    if length < 2 or canvas < 32:
        raise DataError(f"sequences: need length >= 2 and canvas >= 32, got {length}, {canvas}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    target_idx = int(rng.integers(len(glyphs)))
    same = np.flatnonzero((labels == labels[target_idx]) & (np.arange(len(labels)) != target_idx))
    chosen = [target_idx]
    for k in range(n_distractors):
        pool = same if (k < n_same_class and len(same)) else np.arange(len(glyphs))
        chosen.append(int(rng.choice(pool)))
    movers: list[Mover] = []
    for idx in chosen:
        m = Mover.random(glyphs[idx], rng, scale_range, speed, scale_amplitude, rotation, dimming)
        for _ in range(
            50
        ):  # the first frame shows the target clear of the others: it is the template
            m.pos = rng.uniform(0, max(canvas - m.size(0), 1), 2)
            if not movers or not m.overlaps(movers[0], margin=2):
                break
        movers.append(m)
    order = rng.permutation(
        len(movers)
    )  # drawing order: some distractors pass in front of the target
    occluder = None
    if rng.random() < occluder_probability:
        width, height = int(rng.integers(8, 20)), int(rng.integers(canvas // 3, canvas + 1))
        lo, hi = movers[0].pos[0] - width - 4, movers[0].pos[0] + movers[0].size(0) + 4
        starts = [x for x in rng.uniform(-width, canvas, 20) if not lo < x < hi] or [-float(width)]
        occluder = dict(
            x=float(starts[0]),
            y=int(rng.integers(0, canvas - height + 1)),
            vx=float(rng.choice([-1, 1]) * rng.uniform(0.5, 1.5)),
            w=width,
            h=height,
            grey=float(rng.uniform(0.3, 0.8)),
        )
    pan = canvas // 2
    background = clutter_field(canvas + pan, clutter, rng) if clutter > 0 else None
    camera, camera_vel = rng.uniform(0, pan, 2), rng.uniform(-0.7, 0.7, 2)
    frames = np.empty((length, canvas, canvas), dtype=np.uint8)
    ink_boxes = np.empty((length, len(movers), 4))  # every glyph's box: target first
    visible = np.empty(length)
    for t in range(length):
        image = np.zeros((canvas, canvas), dtype=np.float32)
        if background is not None:
            camera = camera + camera_vel
            camera_vel = np.where((camera < 0) | (camera > pan - 1), -camera_vel, camera_vel)
            camera = np.clip(camera, 0, pan - 1)
            cx, cy = (int(v) for v in camera)
            image += background[cy : cy + canvas, cx : cx + canvas]
        cover = np.zeros((canvas, canvas), dtype=np.float32)  # opacity drawn over the target so far
        target_alpha = None
        for k in order:
            m = movers[k]
            if t > 0:
                m.step(m.size(t), canvas, rng, speed)
            g, brightness = m.render(t)
            x0, y0 = (int(round(v)) for v in m.pos)
            x1, y1 = min(x0 + g.shape[1], canvas), min(y0 + g.shape[0], canvas)
            g = g[: y1 - y0, : x1 - x0]
            region = (slice(y0, y1), slice(x0, x1))
            # Ink drawn over what is behind it.
            image[region] = image[region] * (1 - g) + brightness * g
            # The tight box of the ink, not of its faint edges.
            ink = np.argwhere(g >= 0.3 * g.max())
            (ry0, rx0), (ry1, rx1) = ink.min(0), ink.max(0)
            ink_boxes[t, k] = (x0 + rx0, y0 + ry0, rx1 - rx0 + 1, ry1 - ry0 + 1)
            if k == 0:
                target_alpha = np.zeros_like(image)
                target_alpha[region] = g
            elif target_alpha is not None:
                cover[region] = 1 - (1 - cover[region]) * (1 - g)
        if occluder is not None:
            occluder["x"] += occluder["vx"]
            xa, xb = int(round(occluder["x"])), int(round(occluder["x"])) + occluder["w"]
            xa, xb = max(xa, 0), min(xb, canvas)
            if xb > xa:
                region = (slice(occluder["y"], occluder["y"] + occluder["h"]), slice(xa, xb))
                image[region] = occluder["grey"]
                cover[region] = 1.0
        visible[t] = float((target_alpha * (1 - cover)).sum() / max(target_alpha.sum(), 1e-9))
        if noise > 0:
            image = image + rng.normal(0.0, noise / 255.0, image.shape).astype(np.float32)
        frames[t] = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
    info = {
        "target_index": target_idx,
        "target_label": int(labels[target_idx]),
        "distractor_labels": [int(labels[i]) for i in chosen[1:]],
        "occluder": occluder is not None,
    }
    return TrackingSequence(
        frames, ink_boxes[:, 0], visible, name, info, distractors=ink_boxes[:, 1:]
    )


def make_sequences(
    glyphs: np.ndarray,
    labels: np.ndarray,
    n: int,
    seed: int = 0,
    preset: str | None = None,
    **options: Any,
) -> list[TrackingSequence]:
    """``n`` sequences with the settings of ``preset`` (see ``PRESETS``) updated by ``options``.
    Sequence ``i`` depends only on ``(seed, i)``, so a longer set starts with the same sequences."""
    if preset is not None and preset not in PRESETS:
        raise DataError(f"sequences: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    settings = {**PRESETS.get(preset or "distractors", {}), **options}
    return [
        make_sequence(
            glyphs, labels, np.random.default_rng([seed, i]), name=f"seq{i:03d}", **settings
        )
        for i in range(n)
    ]
