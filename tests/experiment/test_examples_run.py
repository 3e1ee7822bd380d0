"""The example configs train for an epoch on a slice of their data (slow). MNIST and kjv-web need
the real data folder (SIAMKIT_DATA); without it those are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from siamkit.config import load_config
from siamkit.errors import SiamkitWarning
from siamkit.experiment import run_experiment

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUICK = ["training.epochs=1", "training.progress=false", "evaluation.episodes=50"]
SLICE = ["data.max_train=512", "data.max_val=256", "data.max_test=256"]

pytestmark = pytest.mark.slow


def _run(name: str, tmp_path: Path, *overrides: str):
    cfg = load_config(EXAMPLES / name, [*QUICK, *overrides])
    return run_experiment(cfg, tmp_path / "run")


def test_digits_mlp(tmp_path):
    result = _run("digits_mlp.toml", tmp_path)
    assert result.model.encoder.name == "mlp" and result.model.adapter.type == "vector"
    assert result.metrics["test"]["accuracy"] > 0.8


def test_image_folder_verification(tmp_path, identity_folder):
    with pytest.warns(SiamkitWarning, match="n_way lowered from 5 to 2"):  # a 2-class test split
        result = _run("image_folder_verification.toml", tmp_path, f"data.path={identity_folder}",
                      "data.image_size=[16, 16]", "batches.batch_size=16")
    assert result.model.adapter.image_size == (16, 16)
    assert result.metrics["threshold"]["rule"] == "accuracy"  # the rule that serves small folders
    assert result.metrics["one_shot"]["n_way"] == 2  # 2 of the 8 identities are test identities
    assert result.metrics["data"]["test samples"] == 20


@pytest.mark.parametrize("name", ["mnist_contrastive.toml", "mnist_batch_hard.toml"])
def test_mnist_examples(tmp_path, shared_data, name):
    result = _run(name, tmp_path, f"data.data_dir={shared_data}", *SLICE)
    assert result.metrics["test"]["roc_auc"] > 0.7


def test_kjv_web_lstm(tmp_path, shared_data):
    result = _run("kjv_web_lstm.toml", tmp_path, f"data.data_dir={shared_data}", *SLICE)
    assert result.metrics["retrieval"]["task"].startswith("each first text's partner")
    assert result.metrics["test"]["roc_auc"] > 0.6
