"""Where towers' layers are (siamkit.encoders.layer_groups), on small modules built here in the
shapes of the real ones: a ResNet (stem, stages), a MobileNet (one ``features`` container), a
ViT (class token and position embedding, blocks, a final norm) and a BERT (embeddings, the
``encoder.layer`` stack), each grouping written out by hand. (The real torchvision and timm
models: tests/vision/test_layer_decay_backbones.py.)"""

from __future__ import annotations

import torch
from torch import nn

from siamkit.encoders.layer_groups import child_layers, stacked_layers


def _prefixes(groups):
    """Each group as the sorted set of its parameters' module prefixes (two name parts)."""
    return [sorted({".".join(n.split(".")[:2]) if n.count(".") > 1 else n.split(".")[0]
                    for n in g}) for g in groups]


class ResNetLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1, self.relu = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()
        self.layer1 = nn.Sequential(nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4))
        self.layer2 = nn.Sequential(nn.Conv2d(4, 8, 3), nn.BatchNorm2d(8))
        self.fc = nn.Identity()  # the classifier siamkit removed


class MobileNetLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 3), nn.Conv2d(4, 8, 3))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(8, 16), nn.Hardswish(), nn.Identity())


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln, self.mlp = nn.LayerNorm(8), nn.Linear(8, 8)


class VitEncoderLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.zeros(1, 5, 8))
        self.dropout = nn.Dropout()
        self.layers = nn.Sequential(Block(), Block(), Block())
        self.ln = nn.LayerNorm(8)


class VitLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.class_token = nn.Parameter(torch.zeros(1, 1, 8))
        self.conv_proj = nn.Conv2d(3, 8, 4, 4)
        self.encoder = VitEncoderLike()
        self.heads = nn.Sequential(nn.Identity())


def test_a_resnet_is_its_stem_with_its_norm_then_its_stages():
    groups = child_layers(ResNetLike())
    assert groups == [["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias"],
                      ["layer1.0.weight", "layer1.0.bias", "layer1.1.weight", "layer1.1.bias"],
                      ["layer2.0.weight", "layer2.0.bias", "layer2.1.weight", "layer2.1.bias"]]


def test_a_model_that_is_one_container_is_read_inside_it():
    assert _prefixes(child_layers(MobileNetLike())) == [
        ["features.0"], ["features.1"], ["features.2"], ["classifier.0"]]


def test_a_vit_has_its_tokens_in_the_stem_and_its_final_norm_with_the_last_block():
    groups = child_layers(VitLike())
    assert groups[0] == ["class_token", "encoder.pos_embedding", "conv_proj.weight",
                         "conv_proj.bias"]
    blocks = [sorted({n.split(".")[2] for n in g if n.startswith("encoder.layers.")})
              for g in groups[1:]]
    assert blocks == [["0"], ["1"], ["2"]]
    assert groups[-1][-2:] == ["encoder.ln.weight", "encoder.ln.bias"]
    every = [n for g in groups for n in g]
    assert sorted(every) == sorted(n for n, _ in VitLike().named_parameters())  # each once


def test_a_module_without_layers_has_none():
    assert child_layers(nn.Linear(3, 3)) is None
    assert stacked_layers(nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))) is None


def test_a_transformer_stack_is_embeddings_then_its_blocks_and_what_follows_is_left_out():
    class Bertish(nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = nn.Embedding(10, 8)
            self.encoder = nn.Module()
            self.encoder.layer = nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8)])
            self.norm = nn.LayerNorm(8)  # after the stack: full rate, in no layer
            self.heads = nn.ModuleList([nn.Linear(8, 1)])  # a smaller list is not the stack

    assert stacked_layers(Bertish()) == [
        ["embeddings.weight"], ["encoder.layer.0.weight", "encoder.layer.0.bias"],
        ["encoder.layer.1.weight", "encoder.layer.1.bias"]]
