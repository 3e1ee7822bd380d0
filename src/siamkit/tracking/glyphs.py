"""Glyphs to build tracking sequences from: real MNIST digits, or simple drawn shapes.

The shapes need no data files, so unit tests and quick examples run anywhere; the benchmark uses
MNIST (LeCun et al. 1998): training sequences from the *train* digits, benchmark sequences from the
*test* digits, so the tracker is measured on handwriting it has never seen.
"""

from __future__ import annotations

import os

import numpy as np

SHAPES = ("square", "ring", "plus", "cross", "triangle", "disc", "diamond", "bars")


def _draw(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    c = size / 2 + rng.uniform(-1.5, 1.5, 2)
    r = size * rng.uniform(0.28, 0.4)
    t = max(1.5, size * rng.uniform(0.06, 0.12))  # stroke thickness, varies like handwriting
    dx, dy = xx - c[0], yy - c[1]
    dist = np.hypot(dx, dy)
    if kind == "square":
        m = (np.maximum(abs(dx), abs(dy)) <= r) & (np.maximum(abs(dx), abs(dy)) >= r - t)
    elif kind == "ring":
        m = abs(dist - r) <= t / 2
    elif kind == "plus":
        m = ((abs(dx) <= t / 2) | (abs(dy) <= t / 2)) & (np.maximum(abs(dx), abs(dy)) <= r)
    elif kind == "cross":
        m = ((abs(dx - dy) <= t / 1.4) | (abs(dx + dy) <= t / 1.4)) & (
            np.maximum(abs(dx), abs(dy)) <= r
        )
    elif kind == "triangle":
        m = (dy <= r * 0.8) & (dy >= 2 * abs(dx) - r)
    elif kind == "disc":
        m = dist <= r * 0.8
    elif kind == "diamond":
        m = (abs(dx) + abs(dy) <= r) & (abs(dx) + abs(dy) >= r - 1.4 * t)
    else:  # bars
        m = (abs(dy) <= r) & ((abs(dx - r / 2) <= t / 2) | (abs(dx + r / 2) <= t / 2))
    return (m * rng.uniform(0.7, 1.0) * 255).astype(np.uint8)


def shape_glyphs(
    n_per_class: int = 10, size: int = 28, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Drawn shapes ``uint8 [8 * n_per_class, size, size]`` (white on black) and class ids, with
    random size, stroke, offset and brightness per instance."""
    rng = np.random.default_rng(seed)
    glyphs = [_draw(kind, size, rng) for kind in SHAPES for _ in range(n_per_class)]
    labels = np.repeat(np.arange(len(SHAPES)), n_per_class)
    return np.stack(glyphs), labels


def mnist_glyphs(
    split: str = "test",
    data_dir: str | os.PathLike | None = None,
    limit: int | None = None,
    download: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits ``uint8 [N, 28, 28]`` and labels of ``split`` ("train" or "test"), read by
    :func:`siamkit.data.load_dataset` from ``data_dir`` (else ``$SIAMKIT_DATA``, else siamkit's
    cache). Missing files are an error unless ``download``."""
    from ..data import load_dataset

    data = load_dataset("mnist", split, data_dir, download=download, progress=False)
    x, y = data.x[:, 0].numpy(), data.y.numpy()
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x, y
