"""Losses with learned class weights from a config: the sizes their registry entry names in
``data_args`` come from the data (a general mechanism, tried on a loss registered here), and the
ArcFace example trains at tiny size from the TOML and from the CLI, with the class weights in the
checkpoint and not in the saved model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from siamkit.cli import main
from siamkit.config import load_config, parse_config
from siamkit.errors import ConfigError
from siamkit.experiment import run_experiment
from siamkit.experiment.build import build_loss
from siamkit.losses import SiamkitLoss
from siamkit.registry import LOSSES
from siamkit.training import load_checkpoint

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits_arcface.toml"
TINY = ["training.epochs=1", "training.progress=false", "data.max_train=300", "data.max_val=120",
        "data.max_test=120", "evaluation.episodes=20"]


class Sized(SiamkitLoss):
    """A loss that needs two sizes from the data, registered by the test alone."""

    input_kind = "labelled"

    def __init__(self, n_classes: int, embedding_dim: int, scale: float = 1.0) -> None:
        super().__init__()
        self.n_classes, self.embedding_dim = n_classes, embedding_dim

    def forward(self, embeddings, labels):
        return embeddings.sum() * 0


@pytest.fixture
def sized():
    LOSSES.add("sized_for_test", Sized, input_kind="labelled",
               data_args=("n_classes", "embedding_dim"))
    yield
    LOSSES.remove("sized_for_test")


def _config(**args):
    return parse_config({"loss": {"name": "sized_for_test", "args": args}}, "exp.toml")


def test_a_registered_loss_gets_the_sizes_its_entry_names_from_the_data(sized):
    loss = build_loss(_config(scale=2.0), {"n_classes": 7, "embedding_dim": 16})
    assert (loss.n_classes, loss.embedding_dim) == (7, 16)
    same = build_loss(_config(n_classes=7), {"n_classes": 7, "embedding_dim": 16})
    assert same.n_classes == 7
    with pytest.raises(ConfigError, match=r"\[loss.args\] n_classes: 9 was set, but the data "
                                          r"give 7"):
        build_loss(_config(n_classes=9), {"n_classes": 7, "embedding_dim": 16})
    # an encoder that does not say its embedding size: the user's value is taken
    assert build_loss(_config(embedding_dim=5), {"n_classes": 7}).embedding_dim == 5
    with pytest.raises(ConfigError, match="embedding_dim: loss 'sized_for_test' needs it"):
        build_loss(_config(), {"n_classes": 7})


def _check_run(out: Path, classes: int = 10, dim: int = 32):
    weight = load_checkpoint(out / "checkpoints")["loss"]["weight"]
    assert tuple(weight.shape) == (classes, dim)
    saved = load_file(out / "model" / "model.safetensors")
    assert not any(key.startswith("loss") or tuple(t.shape) == (classes, dim)
                   for key, t in saved.items())
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0 <= metrics["test"]["accuracy"] <= 1
    return metrics


def test_the_arcface_example_trains_at_tiny_size(tmp_path):
    cfg = load_config(EXAMPLE, TINY)
    assert cfg.loss.name == "arcface"
    result = run_experiment(cfg, tmp_path / "run", plots=False)
    _check_run(tmp_path / "run")


def test_the_cli_picks_any_registered_loss_by_name(tmp_path):
    out = tmp_path / "run"
    args = ["train", str(EXAMPLE), "--out", str(out), "--loss", "proxy_anchor",
            "--set", "loss.args={}", "--json"]
    for override in TINY:
        args += ["--set", override]
    assert main(args) == 0
    assert json.loads((out / "config.json").read_text())["loss"]["name"] == "proxy_anchor"
    _check_run(out)


@pytest.mark.parametrize("name", ["supcon", "ntxent", "mined_triplet"])
def test_the_losses_without_weights_run_from_the_example_too(tmp_path, name):
    cfg = load_config(EXAMPLE, [*TINY, f"loss.name={name}", "loss.args={}"])
    result = run_experiment(cfg, tmp_path / "run", plots=False)
    assert not list(torch.nn.Module.parameters(build_loss(cfg, {})))
    assert result.model.threshold is not None
