"""benchmarks/digits_mlp.py: k is chosen on validation, and the --quick run writes sensible JSON."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def load():
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("digits_mlp_bench", BENCH / "digits_mlp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_knn_picks_k_on_validation_and_scores_test_with_it():
    bench = load()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = (x[:, 0] + 0.8 * rng.normal(size=200) > 0).astype(int)  # noisy labels: k matters
    out = bench.knn_accuracy(x[:100], y[:100], x[100:150], y[100:150], x[150:], y[150:])
    val = {k: KNeighborsClassifier(k).fit(x[:100], y[:100]).score(x[100:150], y[100:150])
           for k in bench.KS}
    assert out["val_accuracy"] == pytest.approx(max(val.values()))
    assert val[out["k"]] == max(val.values())
    test = KNeighborsClassifier(out["k"]).fit(x[:100], y[:100]).score(x[150:], y[150:])
    assert out["test_accuracy"] == pytest.approx(test)


def test_quick_run_writes_json(tmp_path):
    bench = load()
    out = tmp_path / "digits_mlp-quick.json"
    result = bench.main(["--quick", "--threads", "1", "--output", str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    (row,) = saved["seeds"]
    assert row["train"] + row["val"] + row["test"] == 1797
    assert row["raw_pixels"]["test_accuracy"] > 0.95  # the classic raw-pixel kNN figure
    assert row["embedding"]["test_accuracy"] > 0.5  # a few epochs already beat chance by far
    assert saved["summary"]["embedding_minus_raw_mean"] == pytest.approx(
        row["embedding"]["test_accuracy"] - row["raw_pixels"]["test_accuracy"], abs=1e-4)
    assert "target_met" in saved["summary"]
