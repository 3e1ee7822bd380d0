"""The convnet keeps its convolution weights channels-last (faster on CPU); nothing else changes."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

import siamkit as sk
from siamkit.encoders import create_encoder

PRESETS = [
    {"preset": "keras-mnist"},
    {"preset": "default", "channels": (8, 16), "embedding_dim": 12},
    {"preset": "default", "in_channels": 3, "channels": (8, 16), "embedding_dim": 12},
]


def conv_weights(module: nn.Module) -> list[torch.Tensor]:
    return [m.weight for m in module.modules() if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize("config", PRESETS)
def test_conv_weights_are_channels_last(config):
    enc = create_encoder("convnet", **config)
    weights = conv_weights(enc)
    assert weights and all(w.is_contiguous(memory_format=torch.channels_last) for w in weights)
    assert all(not w.is_contiguous() for w in weights if w.shape[1] > 1)  # really NHWC, not both


@pytest.mark.parametrize("config", PRESETS)
def test_same_outputs_and_gradients_as_the_nchw_layout(config):
    torch.manual_seed(0)
    enc = create_encoder("convnet", **config)
    nchw = copy.deepcopy(enc).to(memory_format=torch.contiguous_format)
    assert all(w.is_contiguous() for w in conv_weights(nchw))
    x = torch.rand(6, enc.in_channels, 28, 28)
    out, ref = enc(x), nchw(x)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)
    out.square().sum().backward()
    ref.square().sum().backward()
    for a, b in zip(enc.parameters(), nchw.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-3, atol=1e-4)  # float sums reordered


def test_saved_model_reloads_channels_last_with_the_same_embeddings(tmp_path):
    torch.manual_seed(0)
    model = sk.SiameseNetwork(create_encoder("convnet", channels=(8, 16), embedding_dim=12)).eval()
    x = torch.rand(4, 1, 28, 28)
    model.save(tmp_path / "m")
    loaded = sk.SiameseNetwork.load(tmp_path / "m")
    assert all(w.is_contiguous(memory_format=torch.channels_last)
               for w in conv_weights(loaded.encoder))
    torch.testing.assert_close(loaded.embed(x), model.embed(x))
