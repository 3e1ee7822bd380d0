"""benchmarks/mnist_pairs.py: the plain-loop peer is the same model, its pairs follow the protocol,
the shift augmentation moves images, and the --quick run writes sensible JSON and a plot."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str):
    sys.path.insert(0, str(BENCH))  # the scripts import their _helpers as top-level modules
    spec = importlib.util.spec_from_file_location(f"{name}_bench", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plain_tower_is_the_keras_preset_with_the_same_weights():
    from siamkit.encoders import create_encoder

    plain = load("_plain_loop")
    torch.manual_seed(3)
    encoder = create_encoder("convnet", preset="keras-mnist")
    tower = plain.keras_tower()
    plain.copy_weights(tower, encoder)
    x = torch.rand(6, 1, 28, 28)
    encoder.train(), tower.train()  # batch statistics too: BatchNorm settings must agree
    torch.testing.assert_close(tower(x), encoder(x), rtol=1e-5, atol=1e-6)
    encoder.eval(), tower.eval()
    torch.testing.assert_close(tower(x), encoder(x), rtol=1e-5, atol=1e-6)
    assert sum(p.numel() for p in tower.parameters()) == sum(
        p.numel() for p in encoder.parameters())


def test_plain_pairs_one_positive_and_one_negative_per_anchor():
    plain = load("_plain_loop")
    y = torch.randint(0, 10, (500,), generator=torch.Generator().manual_seed(0))
    i1, i2, labels = plain.draw_pairs(y, torch.Generator().manual_seed(1))
    assert torch.equal(i1, torch.arange(500).repeat_interleave(2))
    assert torch.equal(labels, torch.tensor([1.0, 0.0]).repeat(500))  # 1 = same
    assert torch.equal(y[i1] == y[i2], labels.bool())


def test_shift_moves_each_image_by_at_most_the_given_pixels():
    bench = load("mnist_pairs")
    x = torch.zeros(64, 1, 12, 12, dtype=torch.uint8)
    x[:, 0, 5, 6] = 255  # one bright pixel, far enough from the borders to survive any shift
    loader = type("L", (), {"batch_kind": "labelled", "__len__": lambda s: 1,
                            "set_epoch": lambda s, e: None,
                            "__iter__": lambda s: iter([(x, torch.arange(64))])})()
    shifted = bench.Shifted(loader, 2, seed=0)
    shifted.set_epoch(1)
    (out, labels), = list(shifted)
    assert out.shape == x.shape and out.dtype == x.dtype and torch.equal(labels, torch.arange(64))
    pos = out[:, 0].flatten(1).argmax(1)
    rows, cols = pos // 12, pos % 12
    assert (out.flatten(1).sum(1) == 255).all()  # nothing lost, nothing added
    assert ((rows - 5).abs() <= 2).all() and ((cols - 6).abs() <= 2).all()
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 10  # really shifted, per image


@pytest.mark.slow
def test_quick_run_writes_json_and_plot(tmp_path, monkeypatch):
    monkeypatch.delenv("SIAMKIT_DATA", raising=False)  # digits stand-in: no data needed
    bench = load("mnist_pairs")
    out = tmp_path / "mnist_pairs-quick.json"
    result = bench.main(["--quick", "--threads", "1", "--data-dir", str(tmp_path / "none"),
                         "--output", str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    assert saved["quick"] is True and saved["protocol"]["data"].startswith("digits-upscaled")
    a = saved["a"]["summary"]
    assert a["siamkit_pairs_per_s"] > 0 and a["plain_pairs_per_s"] > 0
    assert a["ratio_to_plain"] == pytest.approx(
        a["siamkit_pairs_per_s"] / a["plain_pairs_per_s"], rel=0.01)
    assert set(a["targets_met"]) == {"accuracy", "pairs_per_s", "within_10pct_of_plain",
                                     "within_10pct_of_best_plain"}
    assert a["siamkit_test_accuracy"] > 0.6  # one epoch on the small slice learns something
    curve = saved["b"]["curve"]
    assert [p["epoch"] for p in curve] == [1, 2]
    assert curve[0]["train_s"] < curve[1]["train_s"] and curve[1]["train_cpu_s"] > 0
    assert (tmp_path / saved["b"]["plot"]).stat().st_size > 1000
    assert saved["a"]["machine"]["load_average_1min"] is not None or sys.platform != "linux"


def test_a_single_part_run_keeps_the_other_part_of_the_saved_run(tmp_path):
    bench = load("mnist_pairs")
    path = tmp_path / "mnist_pairs.json"
    path.write_text(json.dumps({"quick": False, "command": "old", "machine": {"m": 1},
                                "a": {"summary": 1}, "b": {"summary": 2}}))
    merged = bench._merge_with_saved({"quick": False, "command": "new", "b": {"summary": 3}}, path)
    assert merged["a"] == {"summary": 1, "command": "old", "machine": {"m": 1}}
    assert merged["b"] == {"summary": 3}
    quick = bench._merge_with_saved({"quick": True, "b": {}}, path)
    assert "a" not in quick  # a quick slice never mixes with a full run
