"""choose_threshold rules, apply_threshold and rates_at_threshold vs sklearn and brute force."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from siamkit.errors import ConfigError, DataError
from siamkit.evaluation import (
    apply_threshold,
    choose_threshold,
    rates_at_threshold,
    verification_metrics,
)


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return rng.normal(size=n) + 1.5 * y, y


def test_rates_match_sklearn_confusion_matrix():
    s, y = _data()
    r = rates_at_threshold(s, y, 0.7)
    tn, fp, fn, tp = confusion_matrix(y, s >= 0.7).ravel()
    assert (r["tp"], r["fp"], r["tn"], r["fn"]) == (tp, fp, tn, fn)
    assert r["far"] == pytest.approx(fp / (fp + tn))
    assert r["frr"] == pytest.approx(fn / (fn + tp))
    assert r["accuracy"] == pytest.approx(accuracy_score(y, s >= 0.7))
    assert r["f1"] == pytest.approx(f1_score(y, s >= 0.7))


def test_decision_rule_is_greater_or_equal():
    assert apply_threshold([0.5, 0.49, 0.51], 0.5).tolist() == [True, False, True]
    r = rates_at_threshold([0.5, 0.4], [1, 0], 0.5)
    assert r["accuracy"] == 1.0


@pytest.mark.parametrize(
    "rule, key", [("accuracy", "best_accuracy"), ("f1", "best_f1"), ("eer", "eer")]
)
def test_rules_agree_with_verification_metrics(rule, key):
    s, y = _data(seed=1)
    t, info = choose_threshold(s, y, rule=rule)
    m = verification_metrics(s, y)
    assert info["rule"] == rule
    assert info["rule_value"] == pytest.approx(m[key])
    assert t == pytest.approx(m[key + "_threshold"] if rule != "eer" else m["eer_threshold"])
    assert info["n"] == len(y) and info["n_same"] == int(y.sum())
    assert info["accuracy"] == pytest.approx(accuracy_score(y, s >= t))


def test_far_rule_meets_target_with_best_tar():
    s, y = _data(n=3000, seed=2)
    t, info = choose_threshold(s, y, rule="far", target_far=0.05)
    assert info["target_far"] == 0.05
    assert info["far"] <= 0.05
    assert info["rule_value"] == pytest.approx((s[y == 1] >= t).mean())
    # no lower threshold gains TAR without breaking the FAR target
    for lower in np.unique(s[s < t]):
        far = (s[y == 0] >= lower).mean()
        tar = (s[y == 1] >= lower).mean()
        assert far > 0.05 or tar == info["rule_value"]


def test_best_accuracy_ties_go_to_the_highest_threshold():
    # thresholds 0.25 and 0.65 both give accuracy 3/4; the higher one is chosen
    s = np.array([0.1, 0.2, 0.3, 0.4, 0.9])
    y = np.array([0, 0, 1, 0, 1])
    t, info = choose_threshold(s, y, "accuracy")
    assert info["rule_value"] == pytest.approx(0.8)
    assert t == pytest.approx(0.65)


def test_unknown_rule_and_bad_target():
    with pytest.raises(ConfigError, match="rule"):
        choose_threshold([0.1, 0.2], [0, 1], rule="median")
    with pytest.raises(ConfigError, match="target_far"):
        choose_threshold([0.1, 0.2], [0, 1], rule="far", target_far=1.5)
    with pytest.raises(DataError, match="threshold"):
        apply_threshold([0.1], float("nan"))
