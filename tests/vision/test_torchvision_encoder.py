"""The ``torchvision`` encoder against torchvision itself: the features of torchvision's model with
its last linear layer removed, on the same weights, and the evaluation transform of the
architecture's weights enum (``ImageClassification``)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

import siamkit as sk
from siamkit.errors import ConfigError
from vision_helpers import torchvision


def test_features_equal_torchvisions_model_without_its_classifier(tmp_path):
    torch.manual_seed(2)
    ref = torchvision.models.get_model("mobilenet_v3_small", weights=None).eval()
    path = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in ref.state_dict().items()}, str(path))
    ref.classifier[3] = nn.Identity()
    enc = sk.encoders.create_encoder("torchvision", architecture="mobilenet_v3_small",
                                     weights=str(path), image_size=64).eval()
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(enc(x), ref(x), atol=1e-6, rtol=1e-5)
    assert enc.embedding_dim == 1024


@pytest.mark.parametrize("arch", ["resnet18", "mobilenet_v3_small"])
def test_the_adapter_is_the_weights_enums_evaluation_transform(arch):
    enc = sk.encoders.create_encoder("torchvision", architecture=arch)
    adapter = enc.input_adapter()
    preset = torchvision.models.get_model_weights(arch).DEFAULT.transforms()
    image = torch.randint(0, 256, (1, 3, 300, 260), dtype=torch.uint8,
                          generator=torch.Generator().manual_seed(0))
    want, got = preset(image), adapter(image)
    assert got.shape == want.shape == (1, 3, 224, 224)
    assert (got - want).abs().max() <= 1.01 / 255 / min(preset.std)


def test_unknown_architectures_are_named():
    with pytest.raises(ConfigError, match=r"unknown architecture 'resnet181'.*did you mean"):
        sk.encoders.create_encoder("torchvision", architecture="resnet181")
    with pytest.raises(ConfigError, match="unknown architecture 'raft_small'"):  # not a classifier
        sk.encoders.create_encoder("torchvision", architecture="raft_small")
