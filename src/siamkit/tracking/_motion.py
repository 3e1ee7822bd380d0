"""How one glyph of a synthetic sequence moves and changes: bouncing motion with a wandering
velocity, and smooth periodic changes of size, in-plane angle and brightness."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass
class Mover:
    glyph: Image.Image  # the glyph at its original size, grey 0-255, white on black
    pos: np.ndarray  # top-left corner of the glyph's square, float (x, y)
    vel: np.ndarray  # pixels per frame
    scale: float
    changes: np.ndarray  # [3, 3]: (amplitude, period, phase) of log-size, angle (degrees), dimming

    @classmethod
    def random(
        cls,
        glyph: np.ndarray,
        rng: np.random.Generator,
        scale_range: tuple[float, float],
        speed: tuple[float, float],
        scale_amplitude: float,
        rotation: float,
        dimming: float,
    ) -> "Mover":
        angle = rng.uniform(0, 2 * np.pi)
        amplitudes = rng.uniform(0, 1, 3) * np.array([scale_amplitude, rotation, dimming])
        changes = np.stack(
            [amplitudes, rng.uniform(30, 90, 3), rng.uniform(0, 2 * np.pi, 3)], axis=1
        )
        return cls(
            Image.fromarray(np.asarray(glyph, dtype=np.uint8)),
            np.zeros(2),
            rng.uniform(*speed) * np.array([np.cos(angle), np.sin(angle)]),
            float(rng.uniform(*scale_range)),
            changes,
        )

    def _wave(self, t: int, k: int) -> float:
        amplitude, period, phase = self.changes[k]
        return float(amplitude * np.sin(2 * np.pi * t / period + phase))

    def size(self, t: int) -> int:
        return max(4, int(round(self.glyph.width * self.scale * np.exp(self._wave(t, 0)))))

    def render(self, t: int) -> tuple[np.ndarray, float]:
        """The glyph's ink coverage ``[size, size]`` in [0, 1] at frame ``t``, and brightness."""
        size = self.size(t)
        img = self.glyph.resize((size, size), Image.BILINEAR)
        angle = self._wave(t, 1)
        if angle:
            img = img.rotate(angle, resample=Image.BILINEAR)
        brightness = 1.0 - abs(self._wave(t, 2))
        return np.asarray(img, dtype=np.float32) / 255.0, brightness

    def step(
        self, size: int, canvas: int, rng: np.random.Generator, speed: tuple[float, float]
    ) -> None:
        self.vel = self.vel + rng.normal(0.0, 0.15, 2)
        norm = float(np.hypot(*self.vel))
        self.vel *= np.clip(norm, *speed) / max(norm, 1e-9)
        self.pos = self.pos + self.vel
        for k in range(2):  # bounce off the edges: reflect the velocity, keep the glyph inside
            hi = canvas - size
            if self.pos[k] < 0 or self.pos[k] > hi:
                self.vel[k] = -self.vel[k]
                self.pos[k] = float(np.clip(self.pos[k], 0, max(hi, 0)))

    def overlaps(self, other: "Mover", margin: float) -> bool:
        sa, sb = self.size(0), other.size(0)
        return bool(
            np.all(self.pos - margin < other.pos + sb)
            and np.all(other.pos - margin < self.pos + sa)
        )


def clutter_field(size: int, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth random texture in [0, amplitude] (blurred noise): background clutter."""
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(
        rng.normal(size=(size, size)), sigma=float(rng.uniform(2.0, 5.0)), mode="wrap"
    )
    field = (field - field.min()) / max(float(np.ptp(field)), 1e-9)
    return (field * amplitude).astype(np.float32)
