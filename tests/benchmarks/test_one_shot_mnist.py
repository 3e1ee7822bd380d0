"""Smoke test of benchmarks/one_shot_mnist.py: the --quick slice trains, tests, writes its JSON."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "one_shot_mnist.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("one_shot_mnist_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    return module


def test_same_recipe_compares_configs_not_names():
    bench = load_benchmark()
    a = bench.Recipe("a", epochs=2, class_transforms=bench.ROT)
    assert bench.same_recipe(a.config(), bench.Recipe("b", epochs=2,
                                                      class_transforms=bench.ROT).config())
    assert not bench.same_recipe(a.config(), bench.Recipe("a", epochs=3).config())
    old = {k: v for k, v in a.config().items() if k != "image_fraction"}  # a field added later
    assert bench.same_recipe(old, a.config())


@pytest.mark.slow
def test_quick_run_writes_results(tmp_path, shared_data):
    bench = load_benchmark()
    out = tmp_path / "one_shot.json"
    result = bench.main(["--quick", "--data-dir", str(shared_data), "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(result))
    raw = saved["peer_raw_pixels_nn"]["test"]
    # 5-way on digits 5-9: raw-pixel nearest neighbour well above chance (0.2), 5-shot above 1-shot
    assert 0.3 < raw["1_shot"]["accuracy"] < raw["5_shot"]["accuracy"]
    names = [row["recipe"] for row in saved["recipes"]]
    assert names == ["bh_aug_rot", "koch_l1_aug_rot"]
    for row in saved["recipes"]:
        assert row["train_s"] > 0 and len(row["load_avg_1m"]) == 2
        for figures in [row["test"]] + ([row["test_head"]] if "test_head" in row else []):
            for k in ("1_shot", "5_shot"):
                low, high = figures[k]["ci95"]
                assert 0.0 <= low <= figures[k]["accuracy"] <= high <= 1.0
    assert "test_head" in saved["recipes"][1]  # the L1-head model is also scored by its head
    assert saved["selected_on_validation"]["recipe"] in names


@pytest.mark.slow
def test_quick_run_of_the_new_losses(tmp_path, shared_data):
    bench = load_benchmark()
    out = tmp_path / "one_shot.json"
    names = ["proto_aug_rot", "arcface_aug_rot", "supcon_aug_rot"]
    saved = bench.main(["--quick", "--data-dir", str(shared_data), "--out", str(out),
                        "--recipes", ",".join(names)])
    assert [row["recipe"] for row in saved["recipes"]] == names
    assert saved["target"] == {"test_1_shot": 0.85, "test_5_shot": 0.95}
    for row in saved["recipes"]:
        assert 0.2 < row["test"]["1_shot"]["accuracy"] <= 1.0  # above 5-way chance


def test_any_angle_rotation_agrees_with_quarter_turns():
    load_benchmark()  # puts benchmarks/ on sys.path
    import one_shot_lib
    import torch

    x = torch.randint(0, 256, (3, 1, 28, 28), dtype=torch.uint8)
    for angle, turns in ((90, 1), (180, 2), (270, 3)):
        turned = one_shot_lib._rotate(angle)(x)
        assert turned.dtype == torch.uint8
        assert torch.equal(turned, torch.rot90(x, turns, (2, 3)))
    assert not torch.equal(one_shot_lib.EXTRA_TRANSFORMS["rot45"](x), x)
