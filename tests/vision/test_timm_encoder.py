"""The ``timm`` encoder against timm itself: the same embeddings as timm's own model with
``num_classes=0`` on the same weights, and the same input transform as timm's evaluation
transform; bounds and weight files that are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import siamkit as sk
from siamkit.errors import ConfigError
from vision_helpers import timm


def _weights_of(model, path):
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return str(path)


@pytest.mark.parametrize("arch, size", [("resnet10t", 64), ("vit_tiny_patch16_224", 32)])
def test_embeddings_equal_timms_own_model_on_the_same_weights(tmp_path, arch, size):
    torch.manual_seed(1)
    kw = {"img_size": size} if arch.startswith("vit") else {}
    # with a 10-class classifier: its keys are in the file and left out by siamkit
    ref = timm.create_model(arch, pretrained=False, num_classes=10, **kw).eval()
    path = _weights_of(ref, tmp_path / "w.safetensors")
    ref.reset_classifier(0)
    enc = sk.encoders.create_encoder("timm", architecture=arch, weights=path,
                                     image_size=size).eval()
    x = torch.rand(2, 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(enc(x), ref(x), atol=1e-6, rtol=1e-5)
    assert enc.embedding_dim == ref.num_features


def test_a_projection_and_normalisation_on_top():
    enc = sk.encoders.create_encoder("timm", architecture="resnet10t", image_size=32,
                                     embedding_dim=16, normalize=True).eval()
    out = enc(torch.rand(3, 3, 32, 32))
    assert out.shape == (3, 16)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(3))
    assert [n for n, _ in enc.named_parameters() if not n.startswith("backbone.")] == [
        "projection.weight", "projection.bias"]


@pytest.mark.parametrize("hw", [(40, 60), (90, 50), (64, 64)])
def test_the_adapter_is_timms_evaluation_transform(hw):
    from torchvision.transforms import functional as TF

    enc = sk.encoders.create_encoder("timm", architecture="resnet10t", image_size=48)
    adapter = enc.input_adapter()
    cfg = timm.data.resolve_data_config({}, model=enc.backbone)
    assert (adapter.interpolation, adapter.mean, adapter.std) == (
        cfg["interpolation"], list(cfg["mean"]), list(cfg["std"]))
    transform = timm.data.create_transform(**{**cfg, "input_size": (3, 48, 48)})
    resize, crop = transform.transforms[0], transform.transforms[1]  # Resize, CenterCrop
    g = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (3, *hw), dtype=torch.uint8, generator=g)
    want = TF.normalize(crop(resize(image)).float() / 255, cfg["mean"], cfg["std"])
    got = adapter(adapter.prepare(image.numpy().transpose(1, 2, 0)))[0]
    assert got.shape == want.shape == (3, 48, 48)
    # uint8 rounding of the resized image: at most one grey level apart
    assert (got - want).abs().max() <= 1.01 / 255 / min(cfg["std"])


def test_grey_images_are_repeated_to_three_channels():
    from PIL import Image

    adapter = sk.encoders.create_encoder("timm", architecture="resnet10t",
                                         image_size=32).input_adapter()
    grey = Image.fromarray(torch.randint(0, 256, (28, 28), dtype=torch.uint8).numpy())
    x = adapter.prepare([grey])
    assert x.shape == (1, 3, 32, 32) and torch.equal(x, adapter.prepare([grey.convert("RGB")]))
    # a dataset's 1-channel tensors take the same path inside forward
    stored = torch.from_numpy(np.array(grey))[None, None]
    torch.testing.assert_close(adapter(stored), adapter(x))


def test_unknown_architectures_and_tags_are_named():
    with pytest.raises(ConfigError, match=r"unknown architecture 'resnet10x'.*did you mean"):
        sk.encoders.create_encoder("timm", architecture="resnet10x")
    with pytest.raises(ConfigError, match="has no pretrained tag 'nonsense'"):
        sk.encoders.create_encoder("timm", architecture="resnet18.nonsense")
    with pytest.raises(ConfigError, match="architecture must be a timm model name"):
        sk.encoders.create_encoder("timm", architecture=["resnet18"])


@pytest.mark.parametrize("kw, message", [
    ({"embedding_dim": 10**9}, "embedding_dim must be None or an int in"),
    ({"image_size": 100_000}, "image_size must be None or an int in"),
    ({"in_chans": 7}, "in_chans must be 1 or 3"),
])
def test_sizes_are_bounded_before_anything_is_built(kw, message):
    with pytest.raises(ConfigError, match=message):
        sk.encoders.create_encoder("timm", architecture="resnet10t", **kw)


def test_the_parameter_count_is_bounded_from_a_meta_build(monkeypatch):
    from siamkit.encoders import backbones

    monkeypatch.setattr(backbones, "MAX_PARAMETERS", 1000)
    with pytest.raises(ConfigError, match="parameters, more than siamkit builds from a config"):
        sk.encoders.create_encoder("timm", architecture="resnet10t")


def test_pickle_missing_and_mismatched_weight_files_are_refused(tmp_path):
    pickle = tmp_path / "w.pth"
    torch.save({}, pickle)
    with pytest.raises(ConfigError, match="a pickle file, which siamkit does not load"):
        sk.encoders.create_encoder("timm", architecture="resnet10t", weights=str(pickle))
    with pytest.raises(ConfigError, match="no such file"):
        sk.encoders.create_encoder("timm", architecture="resnet10t",
                                   weights=str(tmp_path / "none.safetensors"))
    other = _weights_of(timm.create_model("resnet18", num_classes=0), tmp_path / "r18.safetensors")
    with pytest.raises(ConfigError, match=r"does not fit the architecture: \d+ missing key"):
        sk.encoders.create_encoder("timm", architecture="resnet10t", weights=other)
    wide = _weights_of(timm.create_model("resnet10t", num_classes=0, in_chans=1),
                       tmp_path / "grey.safetensors")
    with pytest.raises(ConfigError, match="key\\(s\\) of the wrong shape, e.g. conv1.0.weight"):
        sk.encoders.create_encoder("timm", architecture="resnet10t", weights=wide)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file at all")
    with pytest.raises(ConfigError, match="not a readable safetensors file"):
        sk.encoders.create_encoder("timm", architecture="resnet10t", weights=str(junk))
