"""Every example config in examples/ passes the validator (the runs are slow tests in
tests/experiment/test_examples_run.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from siamkit.config import load_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = {"mnist_contrastive.toml": ("mnist", "contrastive", "pairs"),
            "mnist_batch_hard.toml": ("mnist", "batch_hard", "labelled"),
            "kjv_web_lstm.toml": ("kjv-web", "hard_negative", "duplicates"),
            "digits_mlp.toml": ("digits", "contrastive", "auto"),
            "digits_arcface.toml": ("digits", "arcface", "labelled"),
            "digits_prototypical.toml": ("digits", "prototypical", "episodes"),
            "image_folder_verification.toml": ("digits", "contrastive", "auto"),
            "mnist_timm_finetune.toml": ("mnist", "contrastive", "pairs")}


def test_the_examples_are_all_there():
    assert {p.name for p in EXAMPLES.glob("*.toml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_loads(name):
    cfg = load_config(EXAMPLES / name)
    dataset, loss, kind = EXPECTED[name]
    assert (cfg.data.name, cfg.loss.name, cfg.batches.kind) == (dataset, loss, kind)


def test_keras_protocol_and_lstm_recipe():
    keras = load_config(EXAMPLES / "mnist_contrastive.toml")
    assert keras.encoder.args["preset"] == "keras-mnist" and keras.loss.args == {"margin": 1.0}
    lstm = load_config(EXAMPLES / "kjv_web_lstm.toml")
    assert lstm.encoder.args["cell"] == "lstm" and lstm.encoder.args["pooling"] == "mean"
    assert lstm.encoder.args["normalize"] is True and lstm.model.distance == "cosine"
    assert lstm.loss.args == {"margin": 0.25}


def test_the_readme_names_every_key():
    import dataclasses

    from siamkit.config import ExperimentConfig

    readme = (EXAMPLES / "README.md").read_text()
    for section in dataclasses.fields(ExperimentConfig):
        if not section.metadata.get("toml", True):
            continue
        if section.default_factory is dataclasses.MISSING:
            assert f"`{section.name} = " in readme, section.name
            continue
        assert f"`[{section.name}]`" in readme, section.name
        for key in dataclasses.fields(section.default_factory()):
            assert f"`{key.name}" in readme, f"{section.name}.{key.name}"
