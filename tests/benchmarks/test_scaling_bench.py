"""benchmarks/scaling.py: the --quick run launches torchrun with 1 and 2 processes and writes the
JSON and the plan with the measured figures."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.slow
def test_quick_run_measures_every_layout_and_writes_the_plan(tmp_path, monkeypatch):
    monkeypatch.delenv("SIAMKIT_DATA", raising=False)  # random images: no data needed
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("scaling_bench", BENCH / "scaling.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "scaling-quick.json"
    result = bench.main(["--quick", "--data-dir", str(tmp_path / "none"), "--output", str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    layouts = {(r["kind"], r["processes"], r["threads"]) for r in saved["runs"]}
    assert layouts == {(k, p, t) for k in bench.KINDS for p, t in bench.LAYOUTS}
    for run in saved["runs"]:
        # each process runs --steps steps of --batch: the global samples grow with the processes
        assert run["steps_per_process"] == saved["steps_per_process"]
        assert run["samples_per_s"] > 0
    plan = out.with_suffix(".md").read_text()
    assert plan == saved["plan"]
    for run in saved["runs"]:
        assert f"{run['samples_per_s']:.0f} {run['unit']}/s" in plan
