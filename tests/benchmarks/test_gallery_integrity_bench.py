"""Smoke test of benchmarks/gallery_integrity.py: the quick slice runs, the gallery it builds
passes the full check, and the JSON is written."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_gallery_integrity_benchmark_quick(tmp_path):
    spec = importlib.util.spec_from_file_location("gallery_integrity_benchmark",
                                                  BENCHMARKS / "gallery_integrity.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "gallery_integrity.json"
    result = module.main(["--sizes", "300", "--repeats", "1", "--output", str(out)])
    (row,) = json.loads(out.read_text())["rows"]
    assert row == result["rows"][0] and row["references"] == 300 and row["full_check_ok"]
    assert row["open_verified_s"] > 0 and row["open_unverified_s"] > 0
