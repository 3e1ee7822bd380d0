"""Layer-wise learning-rate decay on the image backbones: every parameter of a timm tower at the
rate timm's own ``param_groups_layer_decay`` gives it (its ``lr_scale`` times lr; the projection
at the full rate), through the Trainer; torchvision's ResNet-18 and MobileNetV3 in the layers
their children say, written out here."""

from __future__ import annotations

import pytest
import torch

import siamkit as sk
from siamkit.errors import ConfigError
from vision_helpers import timm  # noqa: F401  (skips without the vision extra)

from timm.optim import param_groups_layer_decay  # noqa: E402  (the reference)

LR = 1e-2


def _lr_of_each_parameter(trainer, model):
    lr = {id(p): g["lr"] for g in trainer.optimizer_.param_groups for p in g["params"]}
    return {name: lr[id(p)] for name, p in model.named_parameters()}


def _pairs(size):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (8, 3, size, size), dtype=torch.uint8, generator=g)
    return [(x[:4], x[4:], torch.tensor([1.0, 0.0, 1.0, 0.0]))]


@pytest.mark.parametrize("arch, size", [("resnet10t", 32), ("vit_tiny_patch16_224", 32)])
@pytest.mark.parametrize("decay", [0.75, 0.5])
def test_each_rate_is_timms_param_groups_layer_decay(arch, size, decay):
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("timm", architecture=arch, image_size=size, embedding_dim=8)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=enc.input_adapter())
    trainer = sk.Trainer(model, sk.losses.ContrastiveLoss(margin=0.5), epochs=1, lr=LR,
                         optimizer="sgd", layer_lr_decay=decay, progress=False, keep_best=False)
    trainer.fit(_pairs(size))
    got = _lr_of_each_parameter(trainer, model)

    reference = param_groups_layer_decay(enc.backbone, weight_decay=0.0,
                                         layer_decay=decay)
    scale = {id(p): g["lr_scale"] for g in reference for p in g["params"]}
    backbone = dict(enc.backbone.named_parameters())
    assert len(set(scale.values())) >= 5  # the premise: several layers, several rates
    for name, lr in got.items():
        inner = name.removeprefix("encoder.backbone.")
        if inner in backbone:
            assert lr == pytest.approx(LR * scale[id(backbone[inner])], rel=1e-12), name
        else:
            assert name.startswith("encoder.projection."), name
            assert lr == LR  # the projection: the head, at the full rate


def _groups(arch):
    enc = sk.encoders.create_encoder("torchvision", architecture=arch, image_size=32)
    return [sorted({".".join(n.split(".")[1:3]) for n in g}) for g in enc.layer_groups()]


def test_torchvision_resnet18_is_its_stem_then_its_four_stages_of_two_blocks():
    stages = [[f"layer{s}.0", f"layer{s}.1"] for s in (1, 2, 3, 4)]
    assert _groups("resnet18") == [["bn1.bias", "bn1.weight", "conv1.weight"], *stages]


def test_torchvision_mobilenet_v3_is_read_inside_its_features():
    groups = _groups("mobilenet_v3_small")
    assert groups == [*[[f"features.{i}"] for i in range(13)], ["classifier.0"]]


def test_the_torchvision_trainer_rates_follow_the_layers():
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("torchvision", architecture="resnet18", image_size=32)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=enc.input_adapter())
    trainer = sk.Trainer(model, sk.losses.ContrastiveLoss(margin=0.5), epochs=1, lr=LR,
                         optimizer="sgd", layer_lr_decay=0.5, backbone_lr=1e-3, progress=False,
                         keep_best=False)
    trainer.fit(_pairs(32))
    got = _lr_of_each_parameter(trainer, model)
    depth = {"conv1": 4, "bn1": 4, "layer1": 3, "layer2": 2, "layer3": 1, "layer4": 0}
    for name, lr in got.items():
        part = name.split(".")[2]
        assert lr == pytest.approx(1e-3 * 0.5 ** depth[part], rel=1e-12), name


def test_a_backbone_without_layers_is_refused_in_one_line(monkeypatch):
    enc = sk.encoders.create_encoder("timm", architecture="resnet10t", image_size=32)
    monkeypatch.setattr(type(enc.backbone), "group_matcher", None, raising=False)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=enc.input_adapter())
    with pytest.raises(ConfigError, match="layer_lr_decay=0.5: encoder 'timm' names no layers"):
        sk.Trainer(model, sk.losses.ContrastiveLoss(), epochs=1, layer_lr_decay=0.5,
                   progress=False).fit(_pairs(32))
