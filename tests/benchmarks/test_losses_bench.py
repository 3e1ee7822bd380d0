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


def test_quick_run_of_the_softmax_losses_beside_pml_keeps_the_other_cases(tmp_path):
    pytest.importorskip("pytorch_metric_learning")
    bench, out = load_benchmark(), tmp_path / "losses.json"
    bench.main(["--quick", "--sizes", "16", "--output", str(out), "--losses", "batch_hard"])
    saved = bench.main(["--quick", "--sizes", "16", "--output", str(out),
                        "--losses", "arcface", "proxy_anchor", "supcon", "ntxent"])
    assert [r["loss"] for r in saved["rows"]] == ["batch_hard"]  # kept from the first run
    assert saved["cases_from_an_earlier_run"]["losses"] == ["batch_hard"]
    rows = {r["loss"]: r for r in saved["softmax_rows"]}
    assert set(rows) == {"arcface", "proxy_anchor", "supcon", "ntxent"}
    for row in rows.values():
        assert row["siamkit_s"] > 0 and row["pml_s"] > 0 and row["abs_diff"] < 1e-3
        assert isinstance(row["target_met"], bool)
    assert rows["arcface"]["floor_s"] > 0 and "floor_s" not in rows["supcon"]


def test_pml_ntxent_is_skipped_where_its_pair_matrix_would_not_fit():
    bench = load_benchmark()
    assert bench.skip_reason("ntxent", "pml", 256) is None
    assert "GiB" in bench.skip_reason("ntxent", "pml", 4096)
    assert bench.skip_reason("ntxent", "siamkit", 4096) is None
    assert bench.measure_memory("ntxent", "pml", 4096) == {
        "error": bench.skip_reason("ntxent", "pml", 4096)}
