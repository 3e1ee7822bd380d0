"""run_experiment end to end on tiny data: the run folder, calibration on validation only,
repeatability, resume and refusal to overwrite a run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from siamkit import SiameseNetwork
from siamkit.config import load_config, parse_config
from siamkit.errors import ConfigError
from siamkit.evaluation import choose_threshold, pair_scores
from siamkit.experiment import load_splits, run_experiment, verification_pairs
from siamkit.experiment.run import evaluate_run

TINY = {
    "name": "tiny",
    "data": {"modality": "vector", "max_train": 300, "max_val": 120, "max_test": 120},
    "encoder": {"name": "mlp", "args": {"hidden_dims": [32], "embedding_dim": 8}},
    "batches": {"batch_size": 64},
    "training": {"epochs": 2, "lr": 0.01, "progress": False},
    "evaluation": {"episodes": 50, "n_way": 5},
}


def tiny(**changes):
    data = json.loads(json.dumps(TINY))
    for key, value in changes.items():
        section, _, name = key.partition("__")
        data[section][name] = value
    return parse_config(data, "tiny.toml")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_experiment(tiny(), tmp_path_factory.mktemp("run") / "out")


def test_run_folder_holds_everything(run):
    out = run.out_dir
    for name in ("config.toml", "config.json", "metrics.json", "history.json", "report.html",
                 "model/config.json", "model/model.safetensors", "checkpoints/last.pt",
                 "plots/loss.png", "plots/roc.png", "plots/score_histograms.png",
                 "plots/threshold_sweep.png", "plots/embeddings.png"):
        assert (out / name).is_file(), name
    assert load_config(out / "config.toml") == run.config  # the resolved config reloads equal
    history = json.loads((out / "history.json").read_text())
    assert [e["epoch"] for e in history["epochs"]] == [1, 2]
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.5 < metrics["test"]["accuracy"] <= 1 and metrics["test"]["threshold"] == run.model.threshold
    assert metrics["one_shot"]["n_way"] == 5 and metrics["retrieval"]["n_queries"] == 120
    assert metrics["training"]["epochs"] == 2 and metrics["data"]["train samples"] == 300


def test_saved_model_is_calibrated_on_validation_pairs(run):
    model = SiameseNetwork.load(run.model_dir)
    assert model.threshold == pytest.approx(run.model.threshold)
    assert model.threshold_info["chosen_on"].startswith("validation pairs")
    assert model.metadata["experiment"]["name"] == "tiny"
    splits = load_splits(run.config.data)
    pairs = verification_pairs(splits.val, run.config.evaluation.pairs_seed)
    expected, _ = choose_threshold(pair_scores(model, pairs.x1, pairs.x2), pairs.y, "accuracy")
    assert model.threshold == pytest.approx(expected)


def test_threshold_never_depends_on_test_data(run):
    splits = load_splits(run.config.data)
    model = SiameseNetwork.load(run.model_dir)
    first = evaluate_run(model, splits, run.config, None)["threshold"]["value"]
    splits.test.y = splits.test.y.flip(0)  # poison the test labels
    second = evaluate_run(model, splits, run.config, None)
    assert second["threshold"]["value"] == first
    assert second["test"]["accuracy"] != pytest.approx(run.metrics["test"]["accuracy"])


def test_same_seed_same_run(run, tmp_path):
    again = run_experiment(tiny(), tmp_path / "again")
    assert again.metrics["test"] == run.metrics["test"]
    for a, b in zip(again.model.state_dict().values(), run.model.state_dict().values()):
        assert torch.equal(a.cpu(), b.cpu())


def test_existing_run_needs_resume_or_overwrite(run):
    with pytest.raises(ConfigError, match="already holds a run .*--resume"):
        run_experiment(tiny(), run.out_dir)
    resumed = run_experiment(tiny(), run.out_dir, resume=True)  # finished: nothing more to train
    assert resumed.metrics["training"]["epochs"] == 2
    np.testing.assert_allclose(resumed.metrics["test"]["accuracy"], run.metrics["test"]["accuracy"])


def test_threads_setting_is_restored(tmp_path, monkeypatch):
    from siamkit.experiment import run as run_module

    before, seen, original = torch.get_num_threads(), [], run_module._run

    def spy(*args):
        seen.append(torch.get_num_threads())
        return original(*args)

    monkeypatch.setattr(run_module, "_run", spy)
    run_experiment(tiny(training__threads=1, training__epochs=1), tmp_path / "t")
    assert seen == [1] and torch.get_num_threads() == before


def test_resume_with_another_config_warns(run):
    from siamkit.errors import SiamkitWarning

    with pytest.warns(SiamkitWarning, match=r"config differs .*training.lr"):
        run_experiment(tiny(training__lr=0.5), run.out_dir, resume=True)
