"""verification_metrics against scikit-learn, brute-force threshold loops and hand-worked EERs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from siamkit.errors import ConfigError, DataError
from siamkit.evaluation import verification_metrics


def _data(n=300, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = rng.normal(size=n) + 1.2 * y
    if ties:
        s = np.round(s, 1)  # many exact ties across classes
    return s, y


def _brute_force(s, y, fn):
    """fn at every threshold that makes a distinct decision (each score, and above the max)."""
    cands = np.concatenate([np.unique(s), [np.inf]])
    vals = np.array([fn(y, (s >= t).astype(int)) for t in cands])
    return vals, cands


@pytest.mark.parametrize("ties", [False, True])
def test_auc_accuracy_f1_match_sklearn(ties):
    s, y = _data(ties=ties)
    t = float(np.median(s))
    m = verification_metrics(s, y, threshold=t)
    pred = (s >= t).astype(int)
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert m["accuracy"] == pytest.approx(accuracy_score(y, pred), abs=1e-12)
    assert m["f1"] == pytest.approx(f1_score(y, pred), abs=1e-12)
    assert m["precision"] == pytest.approx(precision_score(y, pred), abs=1e-12)
    assert m["recall"] == pytest.approx(recall_score(y, pred), abs=1e-12)
    assert m["far"] == pytest.approx(pred[y == 0].mean())
    assert m["frr"] == pytest.approx(1 - pred[y == 1].mean())


@pytest.mark.parametrize("ties", [False, True])
def test_best_accuracy_and_f1_are_the_brute_force_optimum(ties):
    s, y = _data(seed=3, ties=ties)
    m = verification_metrics(s, y)
    acc, _ = _brute_force(s, y, accuracy_score)
    f1, _ = _brute_force(s, y, lambda a, b: f1_score(a, b, zero_division=0))
    assert m["best_accuracy"] == pytest.approx(acc.max(), abs=1e-12)
    assert m["best_f1"] == pytest.approx(f1.max(), abs=1e-12)
    # the reported thresholds reproduce the reported figures under "same iff score >= threshold"
    assert accuracy_score(y, s >= m["best_accuracy_threshold"]) == pytest.approx(m["best_accuracy"])
    assert f1_score(y, s >= m["best_f1_threshold"]) == pytest.approx(m["best_f1"])


def test_threshold_sits_between_scores_and_reproduces_decisions():
    s = np.array([0.1, 0.2, 0.3, 0.4])
    y = np.array([0, 0, 1, 1])
    m = verification_metrics(s, y)
    assert m["best_accuracy"] == 1.0
    assert m["best_accuracy_threshold"] == pytest.approx(0.25)  # halfway between 0.2 and 0.3


@pytest.mark.parametrize(
    "pos, neg, eer, threshold",
    [
        # exact crossing on a ROC point: FAR = FRR = 1/3 at threshold 0.7
        ([0.9, 0.8, 0.3], [0.7, 0.2, 0.1], 1 / 3, 0.7),
        # crossing inside a vertical ROC segment (FAR fixed at 1/2, FRR 2/3 -> 1/3): halfway, 0.75
        ([0.9, 0.7, 0.6], [0.8, 0.5], 0.5, 0.75),
        # tie between a same and a different pair at 0.5: diagonal segment, EER = 1/4 at 0.7
        ([0.9, 0.5], [0.5, 0.1], 0.25, 0.7),
        # perfectly separated: EER 0
        ([0.9, 0.8], [0.2, 0.1], 0.0, 0.8),
    ],
)
def test_eer_hand_worked(pos, neg, eer, threshold):
    s = np.array(pos + neg)
    y = np.array([1] * len(pos) + [0] * len(neg))
    m = verification_metrics(s, y)
    assert m["eer"] == pytest.approx(eer, abs=1e-12)
    assert m["eer_threshold"] == pytest.approx(threshold, abs=1e-12)


def test_eer_is_where_far_meets_frr_on_large_data():
    s, y = _data(n=4000, seed=5)
    m = verification_metrics(s, y)
    t = m["eer_threshold"]
    far = (s[y == 0] >= t).mean()
    frr = (s[y == 1] < t).mean()
    assert far == pytest.approx(m["eer"], abs=0.01)
    assert frr == pytest.approx(m["eer"], abs=0.01)


@pytest.mark.parametrize("ties", [False, True])
def test_tar_at_far_is_the_largest_tar_within_the_target(ties):
    s, y = _data(n=2000, seed=7, ties=ties)
    m = verification_metrics(s, y, far_targets=(0.3, 0.1, 0.01, 1e-4))
    far, _ = _brute_force(s, y, lambda a, b: b[a == 0].mean())
    tar, _ = _brute_force(s, y, lambda a, b: b[a == 1].mean())
    for row in m["tar_at_far"]:
        assert row["tar"] == pytest.approx(tar[far <= row["far_target"]].max())
        assert row["far"] <= row["far_target"]
        same = s >= row["threshold"]
        assert same[y == 0].mean() == pytest.approx(row["far"])
        assert same[y == 1].mean() == pytest.approx(row["tar"])
    assert [r["below_resolution"] for r in m["tar_at_far"]] == [False, False, False, True]


def test_roc_lists_and_json_ready():
    s, y = _data()
    m = verification_metrics(s, y, threshold=0.0, bootstrap=20)
    assert len(m["roc"]["fpr"]) == len(m["roc"]["tpr"]) == len(m["roc"]["thresholds"])
    assert m["roc"]["fpr"][0] == 0.0 and m["roc"]["tpr"][-1] == 1.0
    json.dumps({k: v for k, v in m.items() if k != "roc"}, allow_nan=False)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    s, y = _data(n=500, seed=2)
    a = verification_metrics(s, y, threshold=0.5, bootstrap=200, seed=1)
    b = verification_metrics(s, y, threshold=0.5, bootstrap=200, seed=1)
    c = verification_metrics(s, y, threshold=0.5, bootstrap=200, seed=2)
    assert a["ci95"] == b["ci95"]
    assert a["ci95"] != c["ci95"]
    for key in ("roc_auc", "eer", "accuracy"):
        lo, hi = a["ci95"][key]
        assert lo < a[key] < hi
        assert hi - lo < 0.15


def test_bootstrap_accuracy_interval_without_threshold_uses_best_accuracy_threshold():
    s, y = _data(n=300, seed=4)
    m = verification_metrics(s, y, bootstrap=50)
    assert m["bootstrap"]["accuracy_threshold"] == m["best_accuracy_threshold"]
    assert m["accuracy"] is None


def test_accepts_torch_tensors_and_bool_labels():
    torch = pytest.importorskip("torch")
    s, y = _data(n=50)
    m = verification_metrics(torch.tensor(s), torch.tensor(y.astype(bool)))
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, s))


@pytest.mark.parametrize(
    "scores, labels, message",
    [
        ([0.1, 0.2], [1, 0, 1], "different lengths"),
        ([0.1, float("nan"), 0.3], [1, 0, 1], "index 1"),
        ([0.1, float("inf")], [1, 0], "NaN or infinite"),
        ([0.1, 0.2], [1, 1], "all 2 labels are 1"),
        ([0.1, 0.2], [0, 0], "are 0"),
        ([0.1, 0.2, 0.3], [0, 2, 1], "index 1 is 2"),
        ([], [], "empty"),
        ([[0.1, 0.2]], [[1, 0]], "1-D"),
    ],
)
def test_input_validation(scores, labels, message):
    with pytest.raises(DataError, match=message):
        verification_metrics(scores, labels)


def test_bad_config():
    with pytest.raises(ConfigError, match="far_targets"):
        verification_metrics([0.1, 0.2], [0, 1], far_targets=(0.0,))
    with pytest.raises(ConfigError, match="bootstrap"):
        verification_metrics([0.1, 0.2], [0, 1], bootstrap=-1)
