"""Smoke test of benchmarks/gallery_scale.py: a tiny slice runs every index and Milvus Lite, the
exact gallery agrees with exact FAISS search, and the JSON is written."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_gallery_scale_benchmark_tiny_slice(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("gallery_scale_bench",
                                                  BENCHMARKS / "gallery_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    milvus = importlib.util.find_spec("pymilvus") is not None
    out = tmp_path / "gallery_scale.json"
    result = module.main(["--sizes", "1500", "--nlist", "64", "--queries", "40", "--repeats", "1", "--no-mnist",
                          "--milvus-max", "1500" if milvus else "0", "--output", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    (size,) = result["synthetic"]
    rows = {r["name"]: r for r in size["rows"]}
    assert rows["Flat"]["recall_at_1"] == 1.0 and rows["Flat"]["vectors"] == "float16"
    # 1,500 references are too few to train IVF64,PQ32 (9,984): it searches exactly meanwhile
    pq = rows["IVF64,PQ32"]
    assert pq["trained"] is False and pq["recall_at_1"] == 1.0
    assert rows["HNSW32,SQ8"]["memory_bytes_per_reference"] < rows["Flat"][
        "memory_bytes_per_reference"]
    if milvus:
        assert rows["Milvus Lite"]["recall_at_1"] >= 0.9
    assert {"speedup", "memory_ratio", "recall_at_1", "target_met"} <= set(size["ivfpq_vs_flat"])
    sys.modules.pop("_machine", None)
