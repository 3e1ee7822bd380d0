from __future__ import annotations

import pytest
import torch
from torch import nn

from siamkit.encoders import create_encoder
from siamkit.errors import ConfigError


def test_keras_mnist_preset_reproduces_the_keras_tower():
    enc = create_encoder("convnet", preset="keras-mnist")
    kinds = [type(m).__name__ for m in enc.modules() if not isinstance(m, (nn.Sequential, type(enc)))]
    assert kinds == ["BatchNorm2d", "Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh", "AvgPool2d",
                     "Identity", "Flatten", "BatchNorm1d", "Linear", "Tanh"]
    convs = [m for m in enc.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(4, (5, 5)), (16, (5, 5))]
    # Keras' model summary of that tower: 4,804 trainable parameters (5,318 with BN statistics).
    assert sum(p.numel() for p in enc.parameters()) == 4804
    assert enc.embedding_dim == 10
    out = enc.eval()(torch.rand(2, 1, 28, 28))
    assert out.shape == (2, 10) and out.abs().max() <= 1.0  # tanh output


def test_keras_preset_refuses_other_sizes():
    enc = create_encoder("convnet", preset="keras-mnist")
    with pytest.raises(ValueError, match=r"\(28, 28\)"):
        enc(torch.rand(1, 1, 32, 32))
    with pytest.raises(ConfigError, match="too small"):
        create_encoder("convnet", preset="keras-mnist", image_size=12)


@pytest.mark.parametrize("size", [(8, 8), (28, 28), (64, 40)])
def test_default_preset_accepts_any_size(size):
    enc = create_encoder("convnet", in_channels=1, embedding_dim=16).eval()
    assert enc(torch.rand(2, 1, *size)).shape == (2, 16)


def test_wrong_channel_count_is_reported():
    enc = create_encoder("convnet", in_channels=3)
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        enc(torch.rand(2, 1, 28, 28))


def test_unknown_preset():
    with pytest.raises(ConfigError, match="unknown preset 'resnet'"):
        create_encoder("convnet", preset="resnet")
