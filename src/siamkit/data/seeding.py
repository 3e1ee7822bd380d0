"""Seeds and random generators for everything random in :mod:`siamkit.data`.

Every random function here takes ``seed``: an ``int``, a ``numpy.random.Generator`` or a
``torch.Generator``; the same seed gives the same result. Samplers and loaders that are re-seeded
per epoch derive one independent stream per ``(seed, epoch, purpose)`` through NumPy's
``SeedSequence``, so that resuming at epoch ``e`` (``set_epoch(e)``) reproduces exactly what an
uninterrupted run saw.
"""

from __future__ import annotations

from typing import Union

import numpy as np
import torch

from ..errors import ConfigError

SeedLike = Union[int, np.random.Generator, torch.Generator, None]

_MASK = (1 << 63) - 1


def as_seed(seed: SeedLike) -> int:
    """An ``int`` seed from any seed-like value (drawing one from a generator; ``None`` is 0)."""
    if seed is None:
        return 0
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, _MASK))
    if isinstance(seed, torch.Generator):
        return int(torch.randint(0, 2**62, (1,), generator=seed).item())
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed) & _MASK
    raise ConfigError(f"seed: expected an int or a random generator, got {type(seed).__name__}")


def as_rng(seed: SeedLike) -> np.random.Generator:
    """A NumPy generator: the given one itself, or a new one seeded from ``seed``."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(as_seed(seed))


def stream(seed: int, *keys: int) -> np.random.Generator:
    """An independent generator for ``(seed, *keys)``, e.g. ``stream(seed, epoch, PURPOSE)``."""
    return np.random.default_rng([seed & _MASK, *(int(k) & _MASK for k in keys)])
