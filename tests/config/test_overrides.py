"""``--set section.key=value`` overrides: typed by the schema, unknown keys named."""

from __future__ import annotations

import pytest

from siamkit.config import parse_config
from siamkit.errors import ConfigError


def with_overrides(*overrides: str, data: dict | None = None):
    return parse_config(data or {}, "exp.toml", overrides)


def test_values_are_typed_by_the_schema():
    cfg = with_overrides("training.epochs=3", "training.lr=3e-4", "training.early_stopping=yes",
                         "training.optimizer=sgd", "evaluation.retrieval_ks=1,10",
                         "evaluation.far_targets=[0.1, 0.05]", "data.test_classes=3",
                         "data.max_train=100", 'name="my run"')
    assert cfg.training.epochs == 3 and isinstance(cfg.training.epochs, int)
    assert cfg.training.lr == 3e-4 and cfg.training.early_stopping is True
    assert cfg.training.optimizer == "sgd"
    assert cfg.evaluation.retrieval_ks == [1, 10] and cfg.evaluation.far_targets == [0.1, 0.05]
    assert cfg.data.test_classes == 3 and isinstance(cfg.data.test_classes, int)
    assert cfg.data.max_train == 100 and cfg.name == "my run"
    assert with_overrides("data.test_classes=0.25").data.test_classes == 0.25


def test_overrides_replace_file_values_and_reset_optionals():
    cfg = with_overrides("training.grad_clip=none", "data.max_train=none",
                         data={"training": {"grad_clip": 1.0, "epochs": 7}, "data": {"max_train": 50}})
    assert cfg.training.grad_clip is None and cfg.data.max_train is None
    assert cfg.training.epochs == 7


def test_free_tables_take_toml_values():
    cfg = with_overrides("encoder.name=convnet", "encoder.args.embedding_dim=16",
                         "encoder.args.channels=[8, 16]", "encoder.args.activation=gelu",
                         "loss.args={margin = 0.5}")
    assert cfg.encoder.args == {"embedding_dim": 16, "channels": [8, 16], "activation": "gelu"}
    assert cfg.loss.args == {"margin": 0.5}


@pytest.mark.parametrize("override, expected", [
    ("training.epoch=3", "--set training.epoch=3: unknown key 'epoch' in [training] (did you mean 'epochs'?)"),
    ("trainin.epochs=3", "unknown key 'trainin' at the top level (did you mean 'training'?)"),
    ("training.epochs=three", "--set training.epochs=three: expected an integer, got 'three'"),
    ("training.lr=fast", "expected a number, got 'fast'"),
    ("training.keep_best=maybe", "expected true or false, got 'maybe'"),
    ("training=3", "[training] is a section"),
    ("training.epochs.x=1", "training.epochs is not a section"),
    ("epochs", "expected section.key=value"),
    ("training.epochs=-2", "exp.toml (with overrides): [training] epochs: must be >= 1, got -2"),
    ("training.optimizer=adamm", "(did you mean 'adam'?)"),
])
def test_bad_overrides(override, expected):
    with pytest.raises(ConfigError) as info:
        with_overrides(override)
    assert expected in str(info.value)
