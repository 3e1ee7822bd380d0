"""evaluate(): strict metrics.json, plots, a readable table, and where the threshold came from."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from siamkit.errors import DataError
from siamkit.evaluation import calibrate, choose_threshold, evaluate, pair_scores


def _split(seed, n=300):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return rng.normal(size=n) + 1.5 * y, y


def _strict_json(path):
    return json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))


def test_scores_with_validation_threshold(tmp_path):
    s, y = _split(1)
    vs, vy = _split(0)
    metrics, table = evaluate(
        tmp_path, s, y, val_scores=vs, val_labels=vy, rule="eer", bootstrap=30
    )
    assert metrics["threshold"] == choose_threshold(vs, vy, "eer")[0]
    assert metrics["threshold_info"]["rule"] == "eer"
    saved = _strict_json(tmp_path / "metrics.json")
    assert saved["accuracy"] == pytest.approx(metrics["accuracy"])
    assert saved["roc"]["thresholds"][0] is None  # +inf (accept nothing) written as null
    for name in ("roc.png", "score_histograms.png", "threshold_sweep.png"):
        assert (tmp_path / name).stat().st_size > 1000
    assert "ROC AUC" in table and "95% CI" in table and "rule: eer" in table
    assert f"{metrics['accuracy']:.4f}" in table


def test_without_threshold_only_threshold_free_metrics(tmp_path):
    s, y = _split(2)
    metrics, table = evaluate(tmp_path, s, y, plots=False)
    assert metrics["threshold"] is None and metrics["accuracy"] is None
    assert "not calibrated" in table and "optimistic" in table
    assert not (tmp_path / "roc.png").exists()
    assert _strict_json(tmp_path / "metrics.json")["files"] == {"metrics": "metrics.json"}


def test_model_pairs_use_the_calibrated_threshold(tmp_path, stand_in):
    g = torch.Generator().manual_seed(0)
    x1 = torch.randn(200, 4, generator=g)
    y = torch.randint(0, 2, (200,), generator=g)
    x2 = torch.where(
        y[:, None] == 1,
        x1 + 0.3 * torch.randn(200, 4, generator=g),
        torch.randn(200, 4, generator=g),
    )
    calibrate(stand_in, x1[:100], x2[:100], y[:100])
    metrics, table = evaluate(tmp_path, model=stand_in, x1=x1[100:], x2=x2[100:], labels=y[100:])
    assert metrics["threshold"] == stand_in.threshold
    assert metrics["threshold_info"] == stand_in.threshold_info
    scores = pair_scores(stand_in, x1[100:], x2[100:])
    assert metrics["accuracy"] == pytest.approx(
        ((scores >= stand_in.threshold) == (y[100:].numpy() == 1)).mean()
    )
    assert "validation pairs: 100 pairs" in table


def test_missing_inputs(tmp_path):
    with pytest.raises(DataError, match="labels"):
        evaluate(tmp_path, [0.1, 0.2])
    with pytest.raises(DataError, match="scores"):
        evaluate(tmp_path, labels=[0, 1])
