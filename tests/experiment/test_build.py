"""Building the model from a config and the data: adapters learn from training data only, encoder
arguments come from the data, batch kinds fit the loss and the data."""

from __future__ import annotations

import pytest
import torch

from siamkit.config import DataConfig, parse_config
from siamkit.errors import ConfigError
from siamkit.experiment import load_splits
from siamkit.experiment.build import batch_kind, build_model, head_name


@pytest.fixture(scope="module")
def digits():
    return load_splits(DataConfig())


def config(**sections):
    return parse_config(sections, "exp.toml")


def test_auto_encoder_and_arguments_from_the_data(digits):
    model = build_model(config(), digits, {"note": 1})
    assert model.encoder.name == "convnet" and model.encoder.in_channels == 1
    assert model.adapter.image_size == (8, 8) and model.metadata == {"note": 1}
    train = digits.train.x.float() / 255
    assert model.adapter.mean[0] == pytest.approx(float(train.mean()), rel=1e-5)  # train only
    assert model.head is None and model.distance_name == "euclidean"


def test_weights_follow_the_training_seed(digits):
    a = build_model(config(), digits, {})
    b = build_model(config(), digits, {})
    c = build_model(config(training={"seed": 1}), digits, {})
    first = next(a.encoder.parameters())
    assert torch.equal(first, next(b.encoder.parameters()))
    assert not torch.equal(first, next(c.encoder.parameters()))


def test_vector_and_keras_presets():
    from siamkit.data import LabelledData
    from siamkit.experiment import Splits

    vectors = load_splits(DataConfig(modality="vector"))
    mlp = build_model(config(encoder={"name": "mlp", "args": {"hidden_dims": [16]}}), vectors, {})
    assert mlp.encoder.input_dim == 64 and mlp.adapter.type == "vector"
    images = LabelledData(torch.randint(0, 255, (12, 1, 20, 18), dtype=torch.uint8), torch.arange(12) % 3)
    splits = Splits(images, images, images, "image")
    keras = build_model(config(encoder={"name": "convnet", "args": {"preset": "keras-mnist"}}), splits, {})
    assert keras.encoder.image_size == (20, 18) and keras.embedding_dim == 10


def test_encoder_argument_errors(digits):
    with pytest.raises(ConfigError, match=r"\[encoder.args\] in_channels: 3 was set, but the data give 1"):
        build_model(config(encoder={"name": "convnet", "args": {"in_channels": 3}}), digits, {})
    with pytest.raises(ConfigError, match=r"\[encoder\] name: encoder 'mlp' cannot read image data"):
        build_model(config(encoder={"name": "mlp"}), digits, {})
    with pytest.raises(ConfigError, match=r"\[encoder.args\] unknown key 'hidden'"):
        build_model(config(encoder={"args": {"hidden": 3}}), digits, {})  # auto -> convnet
    with pytest.raises(ConfigError, match=r"exp.toml: \[encoder.args\] .*too small"):
        build_model(config(encoder={"name": "convnet", "args": {"preset": "keras-mnist"}}), digits, {})


def test_batch_kinds(digits, tmp_path):
    assert batch_kind(config(), digits) == "pairs"
    assert batch_kind(config(loss={"name": "batch_hard"}), digits) == "labelled"
    assert batch_kind(config(loss={"name": "triplet"}), digits) == "triplets"
    assert batch_kind(config(loss={"name": "cosine_similarity"}), digits) == "pairs"
    with pytest.raises(ConfigError, match=r"\[loss\] name: 'hard_negative' trains on 'duplicates' "
                                          r"batches, which need pairs data, but the data are samples"):
        batch_kind(config(loss={"name": "hard_negative"}), digits)


def test_head_follows_the_loss():
    assert head_name(config(loss={"name": "binary_cross_entropy"})) == "l1_sigmoid"
    assert head_name(config()) is None
