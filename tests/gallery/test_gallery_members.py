"""The reference-id map of a gallery agrees with a plain dict, dense or sparse, through adds,
removals and the switch from a table to sorted ids when an id is huge."""

from __future__ import annotations

import numpy as np
import pytest

from siamkit.gallery.members import IdMap


@pytest.mark.parametrize("huge", [False, True])
def test_id_map_agrees_with_a_dict(huge):
    rng = np.random.default_rng(0)
    oracle: dict[int, int] = {}
    start = np.arange(1, 51)
    m = IdMap(start, start * 10)
    oracle.update({int(k): int(k) * 10 for k in start})
    next_id = 51
    for step in range(200):
        if rng.random() < 0.7:
            n = int(rng.integers(1, 20))
            if huge and step == 100:
                next_id = 10**12  # a tampered database: from here on the map must sort
            keys = np.arange(next_id, next_id + n)
            next_id += n
            values = rng.integers(0, 1000, n)
            m.put(keys, values)
            oracle.update(zip(keys.tolist(), values.tolist()))
        else:
            keys = rng.choice(list(oracle), size=min(5, len(oracle)), replace=False)
            m.forget(keys)
            for k in keys.tolist():
                oracle[k] = -1
        probe = np.array(list(oracle) + [0, -1, 7 * 10**12, next_id + 5])
        want = [oracle.get(k, -1) for k in probe.tolist()]
        assert m.get(probe).tolist() == want
    assert (m._table is None) == huge  # noqa: SLF001 - which representation it chose
