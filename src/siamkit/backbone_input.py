"""The input adapter of a pretrained image backbone: the backbone's own evaluation transform.

timm's evaluation transform (``timm.data.create_transform(**resolve_data_config(...),
is_training=False)``) and torchvision's (the ``transforms()`` of a weights enum,
``ImageClassification``) are the same three steps: resize the shorter side to ``resize_size``
(timm: ``floor(size / crop_pct)``), crop the centre to ``input_size``, then ``(x / 255 - mean) /
std``. They are written here in torch, so that the one function runs in ``prepare`` (image files,
PIL images, arrays) and in ``forward`` (dataset tensors in training): training and use cannot
disagree. Images already at ``input_size`` are taken as they are, in both paths alike.

Channels: grey images are repeated to the backbone's 3 channels; for a 1-channel backbone, colour
images become grey with ITU-R BT.601 luma (what PIL's ``convert("L")`` uses). The transform's
numbers live in ``config.json``, so a saved model reloads it without timm or torchvision.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .adapters import Adapter, read_image, register_adapter, to_unit_float
from .errors import ConfigError, DataError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INTERPOLATIONS = ("nearest", "bilinear", "bicubic")
MAX_SIDE = 2048  # a bound on the sizes a config.json may ask for, checked before any allocation
_LUMA = (0.299, 0.587, 0.114)


def _side(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ConfigError(f"backbone image adapter: {what} must be an integer, got {value!r}")
    if not 1 <= int(value) <= MAX_SIDE:
        raise ConfigError(f"backbone image adapter: {what} must be in 1..{MAX_SIDE}, got {value}")
    return int(value)


def resize_for(input_size: int, crop_pct: float) -> int:
    """timm's shorter-side size before the centre crop: ``floor(input_size / crop_pct)``."""
    return int(math.floor(input_size / crop_pct))


@register_adapter
class BackboneImageAdapter(Adapter):
    """Images for a pretrained backbone: resize the shorter side to ``resize_size`` (None: straight
    to ``input_size``), centre crop to ``input_size`` (H, W), ``channels`` of the backbone (1 or
    3), normalised by ``mean`` / ``std`` (one value per channel). Storage form: uint8 [B, C, H, W]."""

    type = "backbone_image"
    modality = "image"  # what the shell commands and the HTTP service feed it

    def __init__(self, input_size: int | Sequence[int] = 224, resize_size: int | None = None,
                 interpolation: str = "bilinear", mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD, channels: int = 3) -> None:
        super().__init__()
        size = [input_size] * 2 if isinstance(input_size, (int, float)) else list(input_size)
        if len(size) != 2:
            raise ConfigError(f"backbone image adapter: input_size must be an int or (height, "
                              f"width), got {input_size!r}")
        self.input_size = (_side(size[0], "input_size"), _side(size[1], "input_size"))
        self.resize_size = None if resize_size is None else _side(resize_size, "resize_size")
        if interpolation not in INTERPOLATIONS:
            raise ConfigError(f"backbone image adapter: interpolation must be one of "
                              f"{', '.join(INTERPOLATIONS)}, got {interpolation!r}")
        self.interpolation = interpolation
        if channels not in (1, 3):
            raise ConfigError(f"backbone image adapter: channels must be 1 or 3, got {channels!r}")
        self.channels = int(channels)
        mean, std = [float(m) for m in mean], [float(s) for s in std]
        if len(mean) != channels or len(std) != channels or min(std) <= 0:
            raise ConfigError(f"backbone image adapter: mean/std need {channels} values with "
                              f"std > 0, got {mean}, {std}")
        self.mean, self.std = mean, std
        self.register_buffer("_mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("_std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    @property
    def image_size(self) -> tuple[int, int]:
        """(H, W) of what the backbone reads, under the name :class:`ImageAdapter` uses."""
        return self.input_size

    # ---- the transform ------------------------------------------------------------------------

    def transform(self, x: Tensor) -> Tensor:
        """[B, C, H, W] (uint8, or floats in [0, 1]) -> the same dtype at ``input_size`` with the
        backbone's channels. uint8 stays uint8 (rounded), so that files and tensors agree."""
        if x.dim() != 4 or x.shape[1] not in (1, 3):
            raise DataError(f"images: expected a [B, 1 or 3, H, W] batch, got shape {tuple(x.shape)}")
        x = self._channels(x)
        if tuple(x.shape[-2:]) == self.input_size:
            return x
        y = self._crop(self._resize(x.float()))
        return y.clamp(0, 255).round().to(torch.uint8) if x.dtype == torch.uint8 else y

    def _channels(self, x: Tensor) -> Tensor:
        if x.shape[1] == self.channels:
            return x
        if self.channels == 3:
            return x.expand(-1, 3, -1, -1)
        luma = torch.tensor(_LUMA, device=x.device).view(1, 3, 1, 1)
        grey = (x.float() * luma).sum(dim=1, keepdim=True)
        return grey.round().to(torch.uint8) if x.dtype == torch.uint8 else grey

    def _resize(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]
        if self.resize_size is None:
            size = self.input_size
        elif h <= w:  # torchvision's Resize(int): the shorter side, the longer one truncated
            size = (self.resize_size, int(self.resize_size * w / h))
        else:
            size = (int(self.resize_size * h / w), self.resize_size)
        if tuple(size) == (h, w):
            return x
        if self.interpolation == "nearest":
            return F.interpolate(x, size=size, mode="nearest")
        return F.interpolate(x, size=size, mode=self.interpolation, align_corners=False,
                             antialias=True)

    def _crop(self, x: Tensor) -> Tensor:
        th, tw = self.input_size
        h, w = x.shape[-2:]
        if h < th or w < tw:  # torchvision's center_crop pads with zeros
            ph, pw = max(th - h, 0), max(tw - w, 0)
            x = F.pad(x, [pw // 2, (pw + 1) // 2, ph // 2, (ph + 1) // 2])
            h, w = x.shape[-2:]
        top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        return x[..., top:top + th, left:left + tw]

    # ---- the adapter --------------------------------------------------------------------------

    def forward(self, x: Tensor) -> Tensor:
        x = self.transform(x)
        return (to_unit_float(x) - self._mean) / self._std

    def prepare(self, raw: Any) -> Tensor:
        """Paths, PIL images, arrays ([H, W], [H, W, C], [C, H, W]) or a batch tensor -> uint8
        [B, C, H, W] at ``input_size``, each image through :meth:`transform` on its own."""
        if isinstance(raw, Tensor):
            return raw.unsqueeze(0) if raw.dim() == 3 else raw
        if isinstance(raw, np.ndarray) and raw.ndim == 4:
            return torch.as_tensor(raw)
        items = raw if isinstance(raw, (list, tuple)) else [raw]
        if not items:
            raise DataError("images: the input list is empty")
        return torch.cat([self.transform(self._decode(item, i)) for i, item in enumerate(items)])

    def _decode(self, item: Any, index: int) -> Tensor:
        image = read_image(item, index)
        image = image.convert("L" if image.mode in ("L", "1", "I", "I;16", "F") else "RGB")
        arr = np.asarray(image, dtype=np.uint8)
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        return torch.from_numpy(arr.copy()).unsqueeze(0)

    def to_config(self) -> dict[str, Any]:
        return {"type": self.type, "input_size": list(self.input_size),
                "resize_size": self.resize_size, "interpolation": self.interpolation,
                "mean": self.mean, "std": self.std, "channels": self.channels}
