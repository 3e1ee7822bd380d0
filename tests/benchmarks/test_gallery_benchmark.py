"""Smoke tests of benchmarks/gallery.py and benchmarks/serve_load.py: the quick slices run, the
gallery gives raw FAISS's answers, and the JSON is written."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_benchmark", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gallery_benchmark_quick(tmp_path):
    out = tmp_path / "gallery.json"
    result = load("gallery").main(["--quick", "--sizes", "500", "--output", str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    (row,) = saved["rows"]
    assert row["references"] == 500 and row["answers_agree"] == 1.0
    assert row["batched"]["gallery_s"] > 0 and row["batched"]["raw_faiss_s"] > 0
    ratio = row["batched"]["gallery_s"] / row["batched"]["raw_faiss_s"]
    assert row["batched_overhead"] == pytest.approx(ratio - 1, abs=1e-3)


@pytest.mark.slow
def test_serve_load_benchmark_quick(tmp_path):
    out = tmp_path / "serve_load.json"
    result = load("serve_load").main(["--quick", "--output", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert result["failures"] == 0 and result["lost"] == 0 and result["requests"] > 0
