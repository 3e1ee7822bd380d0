"""Smoke test of benchmarks/anomaly.py: the --quick slice (scikit-learn digits) writes its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "anomaly.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("anomaly_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path):
    out = tmp_path / "anomaly.json"
    result = load_benchmark().main(["--quick", "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    assert set(saved["per_digit"]) == {"0", "1"}
    for row in saved["per_digit"].values():
        for method in ("siamese", "pixels_knn"):
            assert 0.5 < row[method]["auroc"] <= 1.0  # both rank anomalies above chance
            assert 0 <= row[method]["false_alarm_rate"] <= 1
    assert saved["mean_auroc"]["siamese"] > 0 and saved["siamese_over_pixels_auroc"] > 0


def test_pixel_knn_matches_brute_force():
    import numpy as np
    import torch

    knn = load_benchmark().pixel_knn_scores
    gen = torch.Generator().manual_seed(0)
    ref = torch.randint(0, 256, (30, 1, 4, 4), generator=gen, dtype=torch.uint8)
    q = torch.randint(0, 256, (5, 1, 4, 4), generator=gen, dtype=torch.uint8)
    d = torch.cdist(q.flatten(1).double() / 255, ref.flatten(1).double() / 255).numpy()
    np.testing.assert_allclose(knn(ref, q, 3), np.sort(d, axis=1)[:, :3].mean(axis=1), rtol=1e-5)
