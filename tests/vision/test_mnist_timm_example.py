"""The image example (examples/mnist_timm_finetune.toml) end to end, in fresh processes as a user
runs it: ``siamkit train`` fine-tunes a timm backbone on MNIST pairs, ``siamkit verify`` reloads
the model folder and scores two digits as the model in Python does (slow; needs the MNIST files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import siamkit as sk
from vision_helpers import timm  # noqa: F401  (skips without the vision extra)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mnist_timm_finetune.toml"
pytestmark = pytest.mark.slow


def test_the_timm_example_trains_and_siamkit_verify_reloads_it(tmp_path, shared_data):
    out = tmp_path / "run"
    train = subprocess.run(
        [sys.executable, "-m", "siamkit", "train", str(EXAMPLE), "--out", str(out),
         "--data-dir", str(shared_data), "--no-progress"],
        capture_output=True, text=True, timeout=1200)
    assert train.returncode == 0, train.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    print("mnist_timm_finetune test metrics:", json.dumps(metrics["test"]))
    assert metrics["test"]["roc_auc"] > 0.5  # no accuracy target: the path is what is tested

    digits = sk.data.load_dataset("mnist", data_dir=shared_data, split="test")
    paths = []
    for i in (0, 1):
        path = tmp_path / f"{i}.png"
        Image.fromarray(digits.x[i, 0].numpy().astype(np.uint8)).save(path)
        paths.append(str(path))
    model = sk.SiameseNetwork.load(out / "model")
    with torch.no_grad():
        want = float(model.similarity([paths[0]], [paths[1]])[0])
    verify = subprocess.run([sys.executable, "-m", "siamkit", "verify", str(out / "model"),
                             *paths, "--json"], capture_output=True, text=True, timeout=300)
    assert verify.returncode == 0, verify.stderr
    assert abs(json.loads(verify.stdout)["score"] - want) < 1e-5
