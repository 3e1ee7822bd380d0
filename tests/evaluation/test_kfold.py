"""k-fold protocol: each fold is scored with a threshold chosen on the other folds only."""

from __future__ import annotations

import numpy as np
import pytest

from siamkit.errors import ConfigError, DataError
from siamkit.evaluation import choose_threshold, kfold_verification, rates_at_threshold


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return rng.normal(size=n) + 2.0 * y, y


def test_matches_a_plain_loop_over_given_folds():
    s, y = _data()
    folds = np.arange(len(y)) % 10  # LFW-style fixed folds
    out = kfold_verification(s, y, folds=folds, rule="eer")
    accs = []
    for f in range(10):
        t, _ = choose_threshold(s[folds != f], y[folds != f], "eer")
        accs.append(rates_at_threshold(s[folds == f], y[folds == f], t)["accuracy"])
    assert out["k"] == 10
    assert out["fold_accuracies"] == pytest.approx(accs)
    assert out["accuracy_mean"] == pytest.approx(np.mean(accs))
    assert out["accuracy_std"] == pytest.approx(np.std(accs))


def test_held_out_fold_never_influences_its_threshold():
    s, y = _data(seed=1)
    folds = np.arange(len(y)) % 5
    clean = kfold_verification(s, y, folds=folds)
    poisoned_s, poisoned_y = s.copy(), y.copy()
    held = folds == 2
    poisoned_s[held] = -poisoned_s[held] * 7
    poisoned_y[held] = 1 - poisoned_y[held]
    poisoned = kfold_verification(poisoned_s, poisoned_y, folds=folds)
    assert poisoned["fold_thresholds"][2] == clean["fold_thresholds"][2]
    assert poisoned["fold_accuracies"][2] != clean["fold_accuracies"][2]


def test_stratified_folds_are_seeded():
    s, y = _data()
    a = kfold_verification(s, y, k=5, seed=3)
    b = kfold_verification(s, y, k=5, seed=3)
    c = kfold_verification(s, y, k=5, seed=4)
    assert a == b
    assert a["fold_accuracies"] != c["fold_accuracies"]
    assert 0.8 < a["accuracy_mean"] < 0.95  # two unit normals 2 apart: about 0.84
    assert a["threshold_std"] < 0.3


def test_errors():
    s, y = _data(n=30)
    with pytest.raises(ConfigError, match="k"):
        kfold_verification(s, y, k=1)
    y_few = np.zeros(30, dtype=int)
    y_few[:3] = 1
    with pytest.raises(DataError, match="at least 10 pairs of each class"):
        kfold_verification(s, y_few, k=10)
    folds = np.where(np.arange(30) < 3, 0, 1)
    with pytest.raises(DataError, match="fold 0 has only same"):
        kfold_verification(s, y_few, folds=folds)
    with pytest.raises(DataError, match="folds"):
        kfold_verification(s, y, folds=[0, 1])
