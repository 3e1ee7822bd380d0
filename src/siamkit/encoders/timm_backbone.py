"""``timm`` encoder: any image architecture of the timm library (Wightman, "PyTorch Image Models",
https://github.com/huggingface/pytorch-image-models) as the twin, with its classifier removed.

``create_encoder("timm", architecture="resnet18", weights="resnet18.safetensors")``: the name is
checked against ``timm.list_models()`` (a pretrained tag, ``"resnet18.a1_in1k"``, against
``timm.list_pretrained()``); the model is built with ``pretrained=False, num_classes=0`` (pooled
features, nothing downloaded), then loaded from the user's safetensors file, if one is given. The
input adapter is timm's own evaluation transform, from ``timm.data.resolve_data_config``.
"""

from __future__ import annotations

from typing import Any

from ..backbone_input import resize_for
from ..errors import ConfigError
from ..registry import did_you_mean
from .backbones import BackboneEncoder, check_sizes, checked_build, import_extra, load_weights
from .base import register_encoder


@register_encoder("timm", modality="image", output="embedding", data_args=())
class TimmEncoder(BackboneEncoder):
    """A timm image backbone (any ``timm.list_models()`` name), pooled features, optional
    projection; random weights or the user's safetensors file.

    Args:
        architecture: a timm model name, optionally with a pretrained tag (``"vit_small_patch16_224.augreg_in21k"``).
        embedding_dim: a linear projection to this size; None: the backbone's pooled features.
        weights: a ``.safetensors`` file of the backbone's weights (a timm ``state_dict``; its
            classifier keys are ignored); None: random weights.
        image_size: the input side in pixels (None: the architecture's default, e.g. 224).
        in_chans: channels the backbone reads (1 or 3; grey images are repeated to 3).
        normalize: L2-normalise the embeddings.
    """

    def __init__(self, architecture: str = "resnet18", embedding_dim: int | None = None,
                 weights: str | None = None, image_size: int | None = None, in_chans: int = 3,
                 normalize: bool = False) -> None:
        super().__init__()
        check_sizes("timm", embedding_dim, image_size, in_chans)
        timm = import_extra("timm", "timm")
        self.architecture, self.weights = architecture, weights
        self.image_size, self.in_chans, self.normalize = image_size, in_chans, normalize
        check_architecture(timm, architecture)
        kwargs: dict[str, Any] = {"pretrained": False, "num_classes": 0, "in_chans": in_chans}
        cfg = timm.models.get_pretrained_cfg(architecture, allow_unregistered=True)
        if image_size is not None and cfg is not None and cfg.fixed_input_size:
            kwargs["img_size"] = image_size  # a ViT's position embeddings are sized to it
        self.backbone = checked_build("timm", lambda: timm.create_model(architecture, **kwargs))
        classifier = self.backbone.pretrained_cfg.get("classifier") or "head"
        names = classifier if isinstance(classifier, (list, tuple)) else [classifier]
        if weights is not None:
            load_weights(self.backbone, weights, "timm", drop=tuple(f"{n}." for n in names))
        self.num_features = int(getattr(self.backbone, "head_hidden_size", None)
                                or self.backbone.num_features)
        self.transform_ = self._transform(timm)
        self._finish(embedding_dim)

    def _transform(self, timm: Any) -> dict[str, Any]:
        data = timm.data.resolve_data_config({}, model=self.backbone)
        size = self.image_size or int(data["input_size"][-1])
        height = self.image_size or int(data["input_size"][-2])
        interpolation = data.get("interpolation", "bilinear")
        if interpolation not in ("nearest", "bilinear", "bicubic"):
            interpolation = "bicubic"  # timm's "random" / "lanczos" have no torch counterpart
        return {"input_size": [height, size], "resize_size": resize_for(min(height, size),
                                                                         data["crop_pct"]),
                "interpolation": interpolation, "mean": list(data["mean"]),
                "std": list(data["std"]), "channels": self.in_chans}


def check_architecture(timm: Any, architecture: Any) -> None:
    if not isinstance(architecture, str):
        raise ConfigError(f"timm: architecture must be a timm model name, got "
                          f"{architecture!r}")
    base, _, tag = architecture.partition(".")
    known = timm.list_models()
    if base not in known:
        raise ConfigError(f"timm: unknown architecture {architecture!r}"
                          f"{did_you_mean(base, known)}; see timm.list_models()")
    if tag and architecture not in timm.list_pretrained(architecture):
        raise ConfigError(f"timm: {base!r} has no pretrained tag {tag!r}; see "
                          f"timm.list_pretrained({base!r})")
