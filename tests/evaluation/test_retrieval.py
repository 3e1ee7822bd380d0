"""Retrieval metrics against pytorch-metric-learning's AccuracyCalculator and a plain loop."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from siamkit.errors import ConfigError, DataError
from siamkit.evaluation import retrieval_metrics

pml = pytest.importorskip("pytorch_metric_learning.utils.accuracy_calculator")
logging.getLogger("PML").setLevel(logging.ERROR)

PML_METRICS = ("precision_at_1", "r_precision", "mean_average_precision_at_r")


def _pml(q, ql, r=None, rl=None, same=False):
    calc = pml.AccuracyCalculator(
        include=PML_METRICS, k="max_bin_count", device=__import__("torch").device("cpu")
    )
    if same:
        return calc.get_accuracy(q, ql, q, ql, ref_includes_query=True)
    return calc.get_accuracy(q, ql, r, rl, ref_includes_query=False)


def _data(n, n_classes, dim=8, seed=0, signal=1.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    centres = rng.normal(size=(n_classes, dim))
    return (signal * centres[y] + rng.normal(size=(n, dim))).astype(np.float32), y


def _check_against_pml(ours, theirs):
    assert ours["precision_at_1"] == pytest.approx(theirs["precision_at_1"], abs=1e-6)
    assert ours["r_precision"] == pytest.approx(theirs["r_precision"], abs=1e-6)
    assert ours["map_at_r"] == pytest.approx(theirs["mean_average_precision_at_r"], abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_set_matches_pml(seed):
    x, y = _data(300, 12, seed=seed)
    ours = retrieval_metrics(x, y)  # same object: each query excluded from its own references
    assert ours["exclude_self"] is True
    _check_against_pml(ours, _pml(x, y, same=True))
    assert ours["recall_at_1"] == pytest.approx(ours["precision_at_1"])


@pytest.mark.parametrize("seed", [0, 1])
def test_separate_sets_match_pml(seed):
    q, ql = _data(120, 10, seed=seed)
    r, rl = _data(400, 10, seed=seed + 10)
    ours = retrieval_metrics(q, ql, r, rl, ks=(1, 2, 8))
    assert ours["exclude_self"] is False
    _check_against_pml(ours, _pml(q, ql, r, rl))


def test_cosine_matches_pml_on_normalised_vectors():
    x, y = _data(200, 8, seed=4)
    ours = retrieval_metrics(x * np.linspace(0.5, 3, len(x))[:, None], y, distance="cosine")
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)  # euclidean on unit vectors ranks as cosine
    _check_against_pml(ours, _pml(xn, y, same=True))


def test_queries_without_references_are_left_out_like_pml():
    q, ql = _data(100, 10, seed=5)
    r, rl = _data(300, 10, seed=6)
    keep = rl < 7  # classes 7-9 have no reference
    ours = retrieval_metrics(q, ql, r[keep], rl[keep])
    assert ours["queries_without_match"] == int(np.sum(ql >= 7))
    _check_against_pml(ours, _pml(q, ql, r[keep], rl[keep]))


def _recall_loop(q, ql, r, rl, k, same):
    hits = 0
    counted = 0
    for i in range(len(q)):
        d = np.linalg.norm(r - q[i], axis=1).astype(np.float64)
        if same:
            d[i] = np.inf
        has_ref = np.sum((rl == ql[i]) & (np.arange(len(r)) != (i if same else -1))) > 0
        if not has_ref:
            continue
        counted += 1
        hits += np.any(rl[np.argsort(d, kind="stable")[:k]] == ql[i])
    return hits / counted


@pytest.mark.parametrize("same", [True, False])
def test_recall_at_k_equals_plain_loop(same):
    q, ql = _data(150, 15, seed=7, signal=0.7)
    r, rl = (q, ql) if same else _data(250, 15, seed=8, signal=0.7)
    ours = retrieval_metrics(q, ql, r, rl, ks=(1, 3, 10))
    for k in (1, 3, 10):
        assert ours[f"recall_at_{k}"] == pytest.approx(_recall_loop(q, ql, r, rl, k, same))
    assert ours["recall_at_1"] <= ours["recall_at_3"] <= ours["recall_at_10"]


def test_equal_copies_are_detected_as_the_same_set_and_can_be_overridden():
    x, y = _data(100, 5)
    auto = retrieval_metrics(x, y, x.copy(), y.copy())
    assert auto["exclude_self"] is True
    forced = retrieval_metrics(x, y, x.copy(), y.copy(), exclude_self=False)
    assert forced["precision_at_1"] == 1.0  # every query finds itself


def test_small_chunks_give_the_same_answer(monkeypatch):
    import siamkit.evaluation.retrieval as retrieval

    x, y = _data(200, 6, seed=9)
    whole = retrieval_metrics(x, y, ks=(1, 4))
    monkeypatch.setattr(retrieval, "_MAX_NEIGHBOURS", 100)
    assert retrieval_metrics(x, y, ks=(1, 4)) == pytest.approx(whole)


def test_input_errors():
    x, y = _data(20, 3)
    with pytest.raises(DataError, match="query_labels: has 5 labels"):
        retrieval_metrics(x, y[:5])
    with pytest.raises(DataError, match="dimensions differ"):
        retrieval_metrics(x, y, x[:, :3], y)
    bad = x.copy()
    bad[2, 1] = np.inf
    with pytest.raises(DataError, match="ref_emb: 1 value"):
        retrieval_metrics(x, y, bad, y, exclude_self=False)
    with pytest.raises(ConfigError, match="ks: 20 exceeds the 19"):
        retrieval_metrics(x, y, ks=(1, 20))
    with pytest.raises(ConfigError, match="distance"):
        retrieval_metrics(x, y, distance="manhattan")
    with pytest.raises(DataError, match="no query has a reference"):
        retrieval_metrics(x, np.arange(20))


def test_recall_only_mode_agrees():
    x, y = _data(300, 12, seed=3)
    full = retrieval_metrics(x, y, ks=(1, 5))
    quick = retrieval_metrics(x, y, ks=(1, 5), at_r=False)
    assert quick["k_searched"] == 5 and "map_at_r" not in quick
    for key in ("recall_at_1", "recall_at_5", "precision_at_1"):
        assert quick[key] == full[key]
