"""benchmarks/digits_mlp.py: k is chosen on validation, and the --quick run writes sensible JSON."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
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


def test_global_scaling_uses_one_mean_and_spread_for_every_pixel():
    bench = load()
    x = torch.tensor([[0.0, 16.0, 0.0], [0.0, 8.0, 1.0]])  # column 0 constant, column 2 rare ink
    adapter = bench.make_adapter(x, "global")
    expected = (x - x.mean()) / x.std()
    assert torch.allclose(adapter(x), expected)
    per_pixel = bench.make_adapter(x, "per-pixel")(x)
    assert per_pixel[1, 2] == pytest.approx(1 / np.sqrt(2))  # per pixel: rare ink blown up
    with pytest.raises(ValueError, match="scaling"):
        bench.make_adapter(x, "nope")


class _Batches:
    batch_kind = "labelled"

    def __init__(self, batches):
        self.batches, self.epochs = batches, []

    def __len__(self):
        return len(self.batches)

    def set_epoch(self, epoch):
        self.epochs.append(epoch)

    def __iter__(self):
        return iter(self.batches)


def _moved_by(original, shifted):
    """The (dy, dx) in {-1, 0, 1}^2 with shifted = original moved by it, zero filled; else None."""
    padded = torch.nn.functional.pad(original, (1, 1, 1, 1))
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if torch.equal(padded[1 - dy:9 - dy, 1 - dx:9 - dx], shifted):
                return dy, dx
    return None


def test_shifted_digits_move_each_digit_by_at_most_one_pixel_and_are_seeded():
    bench = load()
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(1, 17, (64, 64), generator=gen).float()  # no zeros: every move is visible
    y = torch.arange(64) % 10
    loader = bench.ShiftedDigits(_Batches([(x, y)]), p=1.0, seed=3)
    loader.set_epoch(2)
    ((out, labels),) = list(loader)
    assert loader.loader.epochs == [2] and len(loader) == 1 and torch.equal(labels, y)
    moves = [_moved_by(x[i].view(8, 8), out[i].view(8, 8)) for i in range(64)]
    assert None not in moves
    assert len(set(moves)) > 5  # many directions, not one fixed offset
    ((again, _),) = list(loader)
    assert torch.equal(again, out)  # same seed and epoch, same batch
    unmoved = bench.ShiftedDigits(_Batches([(x, y)]), p=0.0, seed=3)
    assert torch.equal(next(iter(unmoved))[0], x)
