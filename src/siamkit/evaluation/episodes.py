"""Drawing N-way K-shot episodes (Koch et al. 2015; Vinyals et al. 2016), vectorised.

An episode picks ``n_way`` distinct classes, then ``k_shot`` support samples and ``n_query`` query
samples per class, all distinct. Samples are drawn per class for all episodes at once (random keys,
smallest ``k_shot + n_query`` taken), so 1,000 episodes cost a few numpy calls per class rather than
a Python loop per episode. The same seed gives the same episodes whatever model is evaluated, so
models (and a raw-pixel baseline) can be compared on identical episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_MAX_KEYS = 1 << 22  # random keys drawn at once for one class (memory bound, 32 MiB of float64)


@dataclass(frozen=True)
class Episodes:
    """Sample indices: ``support[e, w, s]`` and ``query[e, w, q]`` are rows of the data whose class
    is ``classes[e, w]``; way ``w`` is the correct answer for every query ``query[e, w, :]``."""

    classes: np.ndarray
    support: np.ndarray
    query: np.ndarray


def draw_episodes(
    members: dict[object, np.ndarray],
    n_way: int,
    k_shot: int,
    n_query: int,
    episodes: int,
    rng: np.random.Generator,
) -> Episodes:
    """Episodes over ``members`` (class -> row indices, each with >= k_shot + n_query rows)."""
    names = list(members)
    ways = np.stack([rng.choice(len(names), size=n_way, replace=False) for _ in range(episodes)])
    per_class = k_shot + n_query
    picked = np.empty((episodes * n_way, per_class), dtype=np.int64)
    flat = ways.reshape(-1)
    for c in np.unique(flat):
        slots = np.flatnonzero(flat == c)
        rows = members[names[c]]
        step = max(1, _MAX_KEYS // len(rows))
        for start in range(0, len(slots), step):
            chunk = slots[start : start + step]
            keys = rng.random((len(chunk), len(rows)))
            if per_class < len(rows):
                smallest = np.argpartition(keys, per_class - 1, axis=1)[:, :per_class]
            else:
                smallest = np.broadcast_to(np.arange(len(rows)), keys.shape)
            # Order the chosen ones by their keys: a uniformly random support/query split.
            order = np.argsort(np.take_along_axis(keys, smallest, axis=1), axis=1)
            picked[chunk] = rows[np.take_along_axis(smallest, order, axis=1)]
    picked = picked.reshape(episodes, n_way, per_class)
    return Episodes(ways, picked[:, :, :k_shot], picked[:, :, k_shot:])
