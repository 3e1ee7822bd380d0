"""``torchvision`` encoder: a torchvision classification model (Marcel & Rodriguez, "Torchvision
the machine-vision package of torch", 2010; https://pytorch.org/vision) as the twin, its last
linear classifier replaced by the identity so that it outputs the pooled features.

The name is checked against ``torchvision.models.list_models(module=torchvision.models)`` (the
classification models); the model is built with ``weights=None`` (nothing downloaded), then loaded
from the user's safetensors file, if one is given. The input adapter is the evaluation transform
of the architecture's default weights enum (``ImageClassification``: resize, centre crop,
mean/std), or the documented ImageNet defaults (256 -> 224, bilinear) when it has none.
"""

from __future__ import annotations

import math
from typing import Any

from torch import nn

from ..backbone_input import IMAGENET_MEAN, IMAGENET_STD
from ..errors import ConfigError
from ..registry import did_you_mean
from .backbones import BackboneEncoder, check_sizes, checked_build, import_extra, load_weights
from .base import register_encoder


@register_encoder("torchvision", modality="image", output="embedding", data_args=())
class TorchvisionEncoder(BackboneEncoder):
    """A torchvision classification model (any ``torchvision.models.list_models()`` name), pooled
    features, optional projection; random weights or the user's safetensors file.

    Args:
        architecture: a torchvision model name ("resnet18", "mobilenet_v3_small", "vit_b_16", ...).
        embedding_dim: a linear projection to this size; None: the backbone's features.
        weights: a ``.safetensors`` file of the model's ``state_dict`` (the classifier's keys are
            ignored); None: random weights.
        image_size: the input side in pixels (None: the default weights' crop size, e.g. 224).
        normalize: L2-normalise the embeddings.
    """

    def __init__(self, architecture: str = "resnet18", embedding_dim: int | None = None,
                 weights: str | None = None, image_size: int | None = None,
                 normalize: bool = False) -> None:
        super().__init__()
        check_sizes("torchvision", embedding_dim, image_size, 3)
        tv = import_extra("torchvision", "torchvision")
        self.architecture, self.weights = architecture, weights
        self.image_size, self.normalize = image_size, normalize
        known = tv.models.list_models(module=tv.models)
        if not isinstance(architecture, str) or architecture not in known:
            raise ConfigError(f"torchvision: unknown architecture {architecture!r}"
                              f"{did_you_mean(str(architecture), known)}; see "
                              f"torchvision.models.list_models()")
        kwargs: dict[str, Any] = {"weights": None}
        if architecture in ("googlenet", "inception_v3"):
            kwargs["aux_logits"] = False  # one output, not the training-time auxiliary heads
        if image_size is not None and architecture.startswith("vit_"):
            kwargs["image_size"] = image_size
        self.backbone = checked_build(
            "torchvision", lambda: tv.models.get_model(architecture, **kwargs))
        classifier, self.num_features = _remove_classifier(self.backbone, architecture)
        if weights is not None:
            load_weights(self.backbone, weights, "torchvision", drop=(f"{classifier}.",))
        self.transform_ = self._transform(tv)
        self._finish(embedding_dim)

    def _transform(self, tv: Any) -> dict[str, Any]:
        crop, resize, interpolation = 224, 256, "bilinear"
        mean, std = list(IMAGENET_MEAN), list(IMAGENET_STD)
        try:
            preset = tv.models.get_model_weights(self.architecture).DEFAULT.transforms()
        except (ValueError, KeyError, AttributeError):
            preset = None
        if preset is not None and hasattr(preset, "crop_size"):
            crop, resize = int(preset.crop_size[0]), int(preset.resize_size[0])
            interpolation = preset.interpolation.value
            mean, std = list(preset.mean), list(preset.std)
        if self.image_size is not None:
            crop, resize = self.image_size, int(math.floor(self.image_size * resize / crop))
        return {"input_size": [crop, crop], "resize_size": resize,
                "interpolation": interpolation, "mean": mean, "std": std, "channels": 3}


def _remove_classifier(model: nn.Module, architecture: str) -> tuple[str, int]:
    """Replace the model's last ``nn.Linear`` (its classifier) by the identity; return its name
    and the width it read, the width of the features."""
    linears = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ConfigError(f"torchvision: {architecture!r} has no linear classifier to "
                          f"remove (not a classification model siamkit can use)")
    name, last = linears[-1]
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, nn.Identity())
    return name, int(last.in_features)
