"""Smoke test of benchmarks/tracking.py: the --quick slice trains, tracks and writes its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "tracking.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("tracking_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path):
    pytest.importorskip("skimage")
    out = tmp_path / "tracking.json"
    result = load_benchmark().main(
        ["--quick", "--out", str(out), "--save-model", str(tmp_path / "m")]
    )
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    for preset in ("distractors", "hard"):
        for tracker in ("siamfc", "ncc_full", "ncc_window"):
            row = saved["results"][preset][tracker]
            assert 0 <= row["success_auc"] <= 1 and 0 <= row["precision_20"] <= 1 and row["fps"] > 0
            assert len(row["success_curve"]) == 21
        assert saved["results"][preset]["siamfc_over_best_ncc_auc"] > 0
    assert (tmp_path / "m" / "config.json").is_file() and saved["training"]["steps"] > 0
    for threads in ("threads_1", "threads_2"):
        speed = saved["speed"][threads]
        assert speed["fps"] == max(speed["fps_passes"]) > 0
        assert len(speed["load_average_1min_before_passes"]) == len(speed["fps_passes"])
    goals = saved["targets"]
    assert goals["fps_25_on_2_cores"]["met"] == (goals["fps_25_on_2_cores"]["fps"] >= 25)
    hard = saved["results"]["hard"]
    margin = hard["siamfc"]["success_auc"] - max(
        hard["ncc_full"]["success_auc"], hard["ncc_window"]["success_auc"]
    )
    assert goals["auc_above_ncc_hard"]["siamfc_minus_best_ncc"] == round(margin, 3)
