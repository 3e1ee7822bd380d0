"""Prototypical episodes from a config and the CLI: the example trains at tiny size, the Trainer
takes episode batches (validation reports val_episode_accuracy), and ``--loss prototypical``
picks the episode batches itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from siamkit import SiameseNetwork, Trainer
from siamkit.cli import main
from siamkit.config import load_config
from siamkit.data import EpisodeLoader, LabelledData
from siamkit.encoders import create_encoder
from siamkit.errors import ConfigError
from siamkit.experiment import run_experiment
from siamkit.losses import PrototypicalLoss

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TINY = ["training.epochs=2", "training.progress=false", "batches.episodes=10",
        "evaluation.episodes=20"]


def test_the_example_trains_at_tiny_size(tmp_path):
    cfg = load_config(EXAMPLES / "digits_prototypical.toml", TINY)
    result = run_experiment(cfg, tmp_path / "run", plots=False)
    epochs = json.loads((tmp_path / "run" / "history.json").read_text())["epochs"]
    assert all(0 <= e["val_episode_accuracy"] <= 1 for e in epochs)
    assert result.metrics["one_shot"]["accuracy"] > 1 / 3  # unseen digits, above chance


def test_the_cli_loss_flag_takes_episodes(tmp_path):
    out = tmp_path / "run"
    args = ["train", str(EXAMPLES / "digits_arcface.toml"), "--out", str(out), "--loss",
            "prototypical", "--set", "loss.args={}", "--set", "batches.kind=auto", "--json"]
    for override in [*TINY, "data.max_train=400", "data.max_val=200", "data.max_test=120",
                     "training.monitor=val_loss"]:
        args += ["--set", override]
    assert main(args) == 0
    saved = (out / "config.toml").read_text()
    assert 'name = "prototypical"' in saved


def test_episodes_need_the_prototypical_kind_of_loss(tmp_path):
    with pytest.raises(ConfigError, match="losses that fit 'episodes' batches: prototypical"):
        load_config(EXAMPLES / "digits_prototypical.toml", [*TINY, "loss.name=contrastive"])


def test_the_trainer_learns_from_episodes():
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(8, 6, generator=g) * 1.3
    y = torch.arange(8).repeat_interleave(60)
    x = centres[y] + torch.randn(len(y), 6, generator=g)
    train = EpisodeLoader(LabelledData(x[0::2], y[0::2]), n_way=4, k_shot=1, n_query=4,
                          episodes=20, seed=1)
    val = EpisodeLoader(LabelledData(x[1::2], y[1::2]), n_way=4, k_shot=1, n_query=4,
                        episodes=30, shuffle=False)
    torch.manual_seed(0)
    model = SiameseNetwork(create_encoder("mlp", input_dim=6, hidden_dims=[16], embedding_dim=4))
    trainer = Trainer(model, PrototypicalLoss(), epochs=4, lr=0.003, progress=False)
    from siamkit.training.validation import validate

    before = validate(model, PrototypicalLoss(), val, "episodes")
    history = trainer.fit(train, val)
    assert trainer.batch_kind_ == "episodes"
    last = history.epochs[-1]
    assert last["val_loss"] < before["val_loss"]
    assert last["train_loss"] < history.epochs[0]["train_loss"]
    assert last["val_episode_accuracy"] >= before["val_episode_accuracy"]
