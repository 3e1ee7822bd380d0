"""Property tests of verification metrics on small random inputs with many ties (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score

from siamkit.evaluation import verification_metrics

pairs = st.lists(
    st.tuples(st.integers(0, 6).map(lambda v: v / 2), st.integers(0, 1)), min_size=2, max_size=25
).filter(lambda rows: 0 < sum(y for _, y in rows) < len(rows))


def _rates(s, y):
    thresholds = np.concatenate([np.unique(s), [np.inf]])
    far = np.array([(s[y == 0] >= t).mean() for t in thresholds])
    frr = np.array([(s[y == 1] < t).mean() for t in thresholds])
    acc = np.array([accuracy_score(y, s >= t) for t in thresholds])
    return far, frr, acc


@settings(max_examples=150, deadline=None)
@given(pairs)
def test_eer_accuracy_and_tar_bounds(rows):
    s = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    m = verification_metrics(s, y, far_targets=(0.2, 0.5))
    far, frr, acc = _rates(s, y)
    # the interpolated EER is no worse than the best discrete point, and no better than the best
    # average of the two error rates (it is a mix of two neighbouring points)
    assert m["eer"] <= np.min(np.maximum(far, frr)) + 1e-12
    assert m["eer"] >= np.min((far + frr) / 2) - 1e-12
    assert np.isclose(m["best_accuracy"], acc.max())
    assert np.isclose(accuracy_score(y, s >= m["best_accuracy_threshold"]), acc.max())
    for row in m["tar_at_far"]:
        ok = far <= row["far_target"]
        assert np.isclose(row["tar"], np.max(1 - frr[ok]))
        assert (s[y == 0] >= row["threshold"]).mean() <= row["far_target"]
