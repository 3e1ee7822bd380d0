"""Smoke test of benchmarks/gradcache_memory.py: the --quick slice (batch 512) runs each case in
its own process, the cached step gives the plain loss and gradients, and uses less memory."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gradcache_memory.py"


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path):
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("gradcache_memory_benchmark", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "gc.json"
    result = bench.main(["--quick", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert result["loss_abs_diff"] < 1e-5 and result["grad_max_abs_diff"] < 1e-5
    assert result["cases"]["cached_big"]["peak_rise_mib"] < result["cases"]["plain_big"][
        "peak_rise_mib"]
