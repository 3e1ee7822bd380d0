"""Smoke test of benchmarks/losses.py: the --quick slice runs, agrees with PML, writes its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "losses.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("losses_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_results(tmp_path):
    pytest.importorskip("pytorch_metric_learning")
    out = tmp_path / "losses.json"
    result = load_benchmark().main(["--quick", "--sizes", "16", "--output", str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    assert {row["loss"] for row in saved["rows"]} == {"batch_hard", "batch_all", "hard_negative"}
    for row in saved["rows"]:
        assert row["siamkit_s"] > 0 and row["pml_s"] > 0
        assert row["abs_diff"] < 1e-4  # the peer computes the same loss
    assert saved["batch_all_over_batch_hard_peak_memory"]["batch"] == 16
