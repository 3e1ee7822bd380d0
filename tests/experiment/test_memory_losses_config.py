"""The cross-batch memory and the cached ranking loss from a config and the CLI: the inner loss
and its arguments by name, the queue in the run's checkpoint."""

from __future__ import annotations

from pathlib import Path

from siamkit.cli import main
from siamkit.config import parse_config
from siamkit.experiment.build import build_loss
from siamkit.losses import (
    BatchHardTripletLoss,
    CachedMultipleNegativesRankingLoss,
    CrossBatchMemory,
)
from siamkit.training import load_checkpoint

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits_arcface.toml"


def test_built_from_a_config():
    cfg = parse_config({"loss": {"name": "cross_batch_memory", "args": {
        "loss": "batch_hard", "memory_size": 512, "start_after": 100,
        "loss_args": {"margin": 0.3}}}}, "x.toml")
    loss = build_loss(cfg, {})
    assert isinstance(loss, CrossBatchMemory) and isinstance(loss.loss, BatchHardTripletLoss)
    assert (loss.memory_size, loss.start_after, loss.loss.margin) == (512, 100, 0.3)
    cached = build_loss(parse_config({"loss": {"name": "cached_multiple_negatives_ranking",
                                               "args": {"chunk_size": 32}}}, "x.toml"), {})
    assert isinstance(cached, CachedMultipleNegativesRankingLoss) and cached.chunk_size == 32


def test_the_cli_trains_with_a_memory(tmp_path):
    out = tmp_path / "run"
    args = ["train", str(EXAMPLE), "--out", str(out), "--loss", "cross_batch_memory",
            "--set", "loss.args={memory_size = 256}", "--json"]
    for override in ["training.epochs=1", "training.progress=false", "data.max_train=300",
                     "data.max_val=120", "data.max_test=120", "evaluation.episodes=20"]:
        args += ["--set", override]
    assert main(args) == 0
    queue = load_checkpoint(out / "checkpoints")["loss"]
    assert int(queue["filled"]) == 256 and tuple(queue["memory"].shape) == (256, 32)
