"""benchmarks/gpu_check.py: the dry run goes through every part on the CPU and writes its JSON, a
failing part leaves the others' figures, and make_table turns a GPU run (only) into GPU rows."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str):
    sys.path.insert(0, str(BENCH))  # the scripts import their _helpers as top-level modules
    spec = importlib.util.spec_from_file_location(f"{name}_test_module", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gpu_json() -> dict:
    """A GPU run's JSON as gpu_check.py writes it (trimmed to what the table reads)."""
    row = {"loss": "batch_all", "batch": 16384, "siamkit_s": 0.0123, "pml_s": 0.456,
           "speedup_vs_pml": 37.1, "siamkit_peak_mib": 2048.0, "pml_peak_mib": 40960.0,
           "abs_diff": 1e-6}
    run = {"status": "ok", "time_to_target_s": 41.5, "final_test_accuracy": 0.9952,
           "train_images_per_s": 61000.0, "summary": {"final_train_s": 52.0}}
    return {"benchmark": "gpu_check", "dry_run": False, "parts": {
        "env": {"status": "ok", "torch": "2.11.0+cu130", "gpu": {"name": "NVIDIA H200"}},
        "tests": {"status": "ok", "passed": 11, "failed": 0, "errors": 0, "skipped": 1},
        "train": {"status": "ok", "target_test_accuracy": 0.995, "runs": {
            "float32": run,
            "float16": {**run, "time_to_target_s": None, "final_test_accuracy": 0.9941},
            "bfloat16": {**run, "train_images_per_s": 90000.0}}},
        "losses": {"status": "ok", "rows": [row]},
        "encode": {"status": "failed", "error": "RuntimeError: no bf16 LSTM\ntraceback",
                   "images": {"count": 100000, "batch_size": 2048, "model": "convnet (x)",
                              "runs": {"float32": {"embeddings_per_s": 250000.0},
                                       "bfloat16": {"error": "x"}}}},
    }}


def test_table_has_gpu_rows_only_once_a_gpu_run_wrote_its_json(tmp_path):
    make_table = load("make_table")
    assert "gpu_check" not in make_table.table(tmp_path)  # absent: not even "not run"
    (tmp_path / "gpu_check.json").write_text(json.dumps(gpu_json()), encoding="utf-8")
    text = make_table.table(tmp_path)
    rows = [line for line in text.splitlines() if line.startswith("| GPU (NVIDIA H200")]
    assert len(rows) == 7, text  # tests, 3 precisions, 1 loss, 1 encoding, the failed part
    assert "11 passed, 0 failed" in text and "42 s (final 99.52%" in text
    assert "float16 AMP: time to 99.5% test accuracy | not reached (final 99.41%" in text
    assert "float32 same run: 61,000 images/s" in text and "**missed**" in text
    assert "37.1x" in text and "float32 250,000/s" in text
    assert "`encode` part | **failed** | RuntimeError: no bf16 LSTM |" in text
    assert "`PYTHONPATH=src python benchmarks/gpu_check.py`" in text
    dry = {**gpu_json(), "dry_run": True}
    (tmp_path / "gpu_check.json").write_text(json.dumps(dry), encoding="utf-8")
    assert "GPU (" not in make_table.table(tmp_path)  # a dry run is no GPU figure


def test_junit_counts_read_every_outcome(tmp_path):
    gpu_check = load("gpu_check")
    report = tmp_path / "r.xml"
    report.write_text(
        '<testsuites><testsuite><testcase classname="a" name="ok"/>'
        '<testcase classname="a" name="bad"><failure message="assert 1 == 2"/></testcase>'
        '<testcase classname="a" name="boom"><error message="ImportError"/></testcase>'
        '<testcase classname="a" name="later"><skipped message="needs a CUDA GPU"/></testcase>'
        "</testsuite></testsuites>")
    counts = gpu_check.junit_counts(report)
    assert {k: counts[k] for k in ("passed", "failed", "errors", "skipped")} == {
        "passed": 1, "failed": 1, "errors": 1, "skipped": 1}
    assert counts["cases"]["failed"] == ["a::bad: assert 1 == 2"]


def test_hard_limit_stops_a_part_that_overruns():
    gpu_check = load("gpu_check")
    t0 = time.perf_counter()
    with pytest.raises(gpu_check.OutOfTime):
        with gpu_check.hard_limit(1.0):
            while True:
                time.sleep(0.05)
    assert time.perf_counter() - t0 < 5


def test_a_failing_part_keeps_the_others_and_the_json(tmp_path, monkeypatch):
    gpu_check = load("gpu_check")

    def broken(args, size, budget, record):
        record({"cases": ["one measured before the failure"]})
        raise RuntimeError("CUDA error: an illegal memory access")

    monkeypatch.setattr(gpu_check, "part_losses", broken)
    monkeypatch.setattr(gpu_check, "part_encode", lambda *a: {"images": {"runs": {}}})
    out = tmp_path / "gpu_check-quick.json"
    result = gpu_check.main(["--dry-run", "--parts", "losses", "encode", "--output", str(out)])
    saved = json.loads(out.read_text())
    assert saved["parts"]["env"]["status"] == "ok" and saved["parts"]["encode"]["status"] == "ok"
    losses = saved["parts"]["losses"]
    assert losses["status"] == "failed" and "illegal memory access" in losses["error"]
    assert losses["cases"] == ["one measured before the failure"]
    assert saved["summary"]["parts"] == {"env": "ok", "losses": "failed", "encode": "ok"}
    assert result["summary"] == saved["summary"]


def test_without_cuda_a_full_run_says_what_to_install(tmp_path, monkeypatch):
    gpu_check = load("gpu_check")
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    out = tmp_path / "gpu_check.json"
    gpu_check.main(["--parts", "tests", "--output", str(out)])
    saved = json.loads(out.read_text())
    assert saved["parts"]["env"]["status"] == "failed"
    assert "constraints-gpu.txt" in saved["parts"]["env"]["error"]
    assert saved["parts"]["tests"] == {"status": "skipped", "reason": "env failed (see parts.env)"}


@pytest.mark.slow
def test_dry_run_goes_through_every_part_and_its_json_feeds_the_table(tmp_path, monkeypatch):
    monkeypatch.delenv("SIAMKIT_DATA", raising=False)  # stand-in data: no files needed
    gpu_check = load("gpu_check")
    out = tmp_path / "gpu_check-quick.json"
    result = gpu_check.main(["--dry-run", "--data-dir", str(tmp_path / "none"),
                             "--output", str(out)])
    saved = json.loads(out.read_text())
    assert saved["dry_run"] is True and saved["summary"] == result["summary"]
    parts = saved["parts"]
    assert {k: p["status"] for k, p in parts.items()} == {
        "env": "ok", "tests": "ok", "train": "ok", "losses": "ok", "encode": "ok"}
    assert parts["env"]["device"] == "cpu" and parts["env"]["machine"]["torch"]
    tests = parts["tests"]
    assert tests["skipped"] >= 10 and tests["passed"] == tests["failed"] == tests["errors"] == 0
    runs = parts["train"]["runs"]
    assert runs["float16"]["status"] == "skipped"  # float16 autocast needs CUDA
    for name in ("float32", "bfloat16"):
        assert runs[name]["status"] == "ok" and runs[name]["train_images_per_s"] > 0
        assert runs[name]["curve"][-1]["test_accuracy"] > 0.3
    assert runs["bfloat16"]["autocast_dtype"] == "torch.bfloat16"
    rows = parts["losses"]["rows"]
    assert {(r["loss"], r["batch"]) for r in rows} == {
        (loss, b) for loss in ("batch_hard", "batch_all", "hard_negative") for b in (32, 64)}
    assert all(r["abs_diff"] < 1e-4 for r in rows)  # the peer computes the same loss
    encode = parts["encode"]
    assert encode["images"]["count"] == 512 and encode["sentences"]["count"] == 64
    assert encode["images"]["runs"]["float32"]["embeddings_per_s"] > 0
    assert encode["sentences"]["runs"]["float32"]["embeddings_per_s"] > 0

    make_table = load("make_table")
    assert make_table.gpu_check(saved) == []  # a dry run is no GPU figure
    as_gpu = copy.deepcopy(saved)
    as_gpu["dry_run"] = False
    as_gpu["parts"]["env"]["gpu"] = {"name": "Test GPU"}
    rows = make_table.gpu_check(as_gpu)
    assert rows and all(r[0].startswith("GPU (Test GPU") for r in rows)
