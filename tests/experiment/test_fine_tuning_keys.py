"""The ``[training]`` fine-tuning keys reach the Trainer, and bad values are named with their key."""

from __future__ import annotations

from pathlib import Path

import pytest

from siamkit.config import load_config
from siamkit.errors import ConfigError
from siamkit.experiment import run_experiment

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits_mlp.toml"
QUICK = ["training.epochs=1", "training.progress=false", "evaluation.one_shot=false",
         "evaluation.retrieval=false", "data.max_train=256", "batches.batch_size=32"]


def _steps(tmp_path, *overrides):
    cfg = load_config(EXAMPLE, [*QUICK, *overrides])
    return run_experiment(cfg, tmp_path).metrics["training"]["steps"]


def test_accumulation_and_a_step_schedule_reach_the_trainer(tmp_path):
    plain = _steps(tmp_path / "a")
    accumulated = _steps(tmp_path / "b", 'training.scheduler="none"', "training.accumulate_steps=3",
                         "training.warmup_steps=2",
                         'training.step_schedule="cosine"', "training.backbone_lr=0.0001",
                         "training.freeze_backbone_steps=1", "training.freeze_batchnorm=true")
    assert accumulated == -(-plain // 3)


@pytest.mark.parametrize("override, message", [
    ("training.accumulate_steps=0", r"\[training\] accumulate_steps: must be >= 1"),
    ("training.warmup_steps=-1", r"\[training\] warmup_steps: must be >= 0"),
    ("training.backbone_lr=-0.1", r"\[training\] backbone_lr: must be > 0"),
    ('training.step_schedule="exp"', r"step_schedule"),
])
def test_bad_values_name_their_key(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(EXAMPLE, [override])


def test_an_epoch_scheduler_and_a_step_schedule_do_not_mix():
    with pytest.raises(ConfigError, match="choose one"):
        load_config(EXAMPLE, ['training.scheduler="cosine"', "training.warmup_steps=5"])
