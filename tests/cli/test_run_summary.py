"""The train summary states FAR and FRR at the chosen threshold, on validation and test pairs,
and points at the warnings about the figures (issue 18, item 1)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from siamkit.cli._run_output import run_summary


def _result(warnings=()):
    metrics = {
        "training": {"epochs": 3, "best_epoch": 2},
        "threshold": {"rule": "far", "value": -0.25, "target_far": 0.01},
        "validation": {"accuracy": 0.576, "far": 0.0, "frr": 0.847},
        "test": {"accuracy": 0.721, "roc_auc": 0.994, "eer": 0.03, "far": 0.002, "frr": 0.55},
    }
    if warnings:
        metrics["warnings"] = list(warnings)
    return SimpleNamespace(metrics=metrics, config=SimpleNamespace(name="folder"), seconds=1.0,
                           model_dir=Path("runs/x/model"), report=Path("runs/x/report.html"),
                           out_dir=Path("runs/x"))


def test_far_and_frr_at_the_threshold():
    data, text = run_summary(_result())
    assert ("threshold -0.25 (rule far, target FAR 0.01), on validation pairs: accuracy 0.5760, "
            "FAR 0.0000, FRR 0.8470") in text
    assert "test pairs: accuracy 0.7210, ROC AUC 0.9940, EER 0.0300, FAR 0.0020, FRR 0.5500" in text
    assert data["validation"] == {"accuracy": 0.576, "far": 0.0, "frr": 0.847}
    assert "caution" not in text and data["warnings"] == []


def test_warnings_are_pointed_at():
    data, text = run_summary(_result(["threshold rule far ... cannot be met meaningfully"]))
    assert "caution: 1 warning(s) about these figures" in text and len(data["warnings"]) == 1
