"""Smoke test of benchmarks/data_loading.py: the --quick run works and writes sensible JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "data_loading.py"


@pytest.mark.slow
def test_quick_run_writes_json(tmp_path, monkeypatch):
    monkeypatch.delenv("SIAMKIT_DATA", raising=False)  # synthetic images: no data needed
    spec = importlib.util.spec_from_file_location("data_loading_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "data_loading.json"
    result = module.main(["--quick", "--output", str(out), "--data-dir", str(tmp_path / "none")])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    assert saved["quick"] is True and saved["data"].startswith("synthetic")
    assert [r["batch_size"] for r in saved["results"]] == [16, 128]
    for row in saved["results"]:
        assert row["siamkit_pairs_per_s"] > 0 and row["naive_pairs_per_s"] > 0
        ratio = row["siamkit_pairs_per_s"] / row["naive_pairs_per_s"]
        assert row["speedup"] == pytest.approx(ratio, rel=0.01, abs=0.001)
    assert saved["train_step"]["pairs_per_s"] > 0


def test_naive_peer_makes_correct_pairs():
    spec = importlib.util.spec_from_file_location("data_loading_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import torch

    y = torch.arange(40) % 4
    x = torch.arange(40, dtype=torch.uint8).view(40, 1, 1, 1)
    ds = module.NaivePairs(x, y)
    for item in range(len(ds)):
        a, b, label = ds[item]
        assert bool(label) == (y[int(a)] == y[int(b)])
        assert int(a) == item // 2
