"""Input adapters: what turns a user's raw input into the tensor the encoder reads.

The adapter is part of the model and is saved in its ``config.json``, so a reloaded model accepts the
same raw inputs as at training time without the user's code: image files resized and normalised the
same way, texts tokenised with the same vocabulary, vectors standardised with the same statistics.

Each adapter has two steps:

* ``prepare(raw) -> Tensor``: raw inputs (image paths, PIL images, arrays, strings) to a batch tensor
  in the *storage* form that datasets also use (uint8 images ``[B, C, H, W]``, int64 token ids
  ``[B, L]`` padded with 0, float32 vectors ``[B, D]``);
* ``forward(x) -> Tensor``: the storage form to what the encoder reads (floats, normalised). It runs
  inside the model on every batch, in training and in use alike, so the two can never disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from . import image_checks
from .errors import ConfigError, DataError
from .registry import ADAPTERS, did_you_mean


class Adapter(nn.Module):
    """Base class. ``type`` names the adapter in ``config.json`` and in :data:`siamkit.registry.ADAPTERS`.

    An adapter whose state does not fit in JSON (a Hugging Face tokenizer's files) writes it with
    :meth:`save_files` into the model folder and reads it back in :meth:`from_saved`; the default
    keeps everything in ``to_config()``.
    """

    type: str = ""

    @property
    def modality(self) -> str:
        """What the adapter reads: ``"image"``, ``"text"``, ``"vector"`` or ``"tensor"`` (its
        ``type`` unless an adapter says otherwise: a Hugging Face tokenizer's reads text)."""
        return self.type

    def sizes(self, inputs: Any) -> Any:
        """The size of each of ``inputs`` (a text's token count), or None: ``model.encode``
        embeds many inputs in order of size, so that a batch pads little."""
        return None

    def prepare(self, raw: Any) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_config(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def save_files(self, folder: Path) -> None:
        """Write files beside ``config.json`` (none by default). ``folder`` is the model folder."""

    @classmethod
    def from_saved(cls, config: dict[str, Any], folder: Path | None = None) -> "Adapter":
        """Rebuild from ``to_config()`` minus ``type`` (and the model ``folder`` it was saved in)."""
        return cls(**config)


def register_adapter(cls: type[Adapter]) -> type[Adapter]:
    """Class decorator: make ``cls`` rebuildable from a ``config.json`` that names its ``type``."""
    ADAPTERS.add(cls.type, cls)
    return cls


@register_adapter
class TensorAdapter(Adapter):
    """No preprocessing: for user encoders that take tensors as they are."""

    type = "tensor"

    def prepare(self, raw: Any) -> Tensor:
        return raw if isinstance(raw, Tensor) else torch.as_tensor(np.asarray(raw))

    def forward(self, x: Tensor) -> Tensor:
        return x

    def to_config(self) -> dict[str, Any]:
        return {"type": self.type}


@register_adapter
class ImageAdapter(Adapter):
    """Images of ``channels`` (1 = grayscale, 3 = RGB) at ``image_size`` (H, W).

    ``forward`` maps uint8 0-255 (or floats already in [0, 1]) to ``(x / 255 - mean) / std`` per
    channel. ``fit`` learns ``mean`` and ``std`` from training images.
    """

    type = "image"

    def __init__(self, channels: int = 1, image_size: int | Sequence[int] = 28,
                 mean: Sequence[float] | None = None, std: Sequence[float] | None = None) -> None:
        super().__init__()
        if channels not in (1, 3):
            raise ConfigError(f"image adapter: channels must be 1 or 3, got {channels}")
        self.channels = int(channels)
        size = (image_size, image_size) if isinstance(image_size, (int, float)) else tuple(image_size)
        if len(size) != 2 or min(size) < 1:
            raise ConfigError(f"image adapter: image_size must be an int or (height, width), got {image_size}")
        self.image_size = (int(size[0]), int(size[1]))
        self._set_stats(mean if mean is not None else [0.0] * channels,
                        std if std is not None else [1.0] * channels)

    def _set_stats(self, mean: Sequence[float], std: Sequence[float]) -> None:
        mean, std = [float(m) for m in mean], [float(s) for s in std]
        if len(mean) != self.channels or len(std) != self.channels or min(std) <= 0:
            raise ConfigError(f"image adapter: mean/std need {self.channels} values, std > 0; got {mean}, {std}")
        self.mean, self.std = mean, std
        # Not persistent: the values live in config.json, readable; the buffers only follow .to(device).
        self.register_buffer("_mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("_std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def fit(self, images: Tensor) -> "ImageAdapter":
        """Per-channel mean and std of ``images`` ([N, C, H, W], uint8 or [0, 1] floats)."""
        x = to_unit_float(images)
        self._set_stats(x.mean(dim=(0, 2, 3)).tolist(), x.std(dim=(0, 2, 3)).clamp_min(1e-6).tolist())
        return self

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise DataError(f"images: expected a [B, {self.channels}, H, W] batch, got shape {tuple(x.shape)}")
        return (to_unit_float(x) - self._mean) / self._std

    def prepare(self, raw: Any) -> Tensor:
        """Paths, PIL images, or arrays ([H, W], [H, W, C], [C, H, W], [B, ...]) -> uint8 [B, C, H, W]."""
        if isinstance(raw, Tensor):
            return raw.unsqueeze(0) if raw.dim() == 3 else raw
        if isinstance(raw, np.ndarray) and raw.ndim == 4:
            return torch.as_tensor(raw)
        items = raw if isinstance(raw, (list, tuple)) else [raw]
        if not items:
            raise DataError("images: the input list is empty")
        return torch.stack([self._prepare_one(item, i) for i, item in enumerate(items)])

    def _prepare_one(self, item: Any, index: int) -> Tensor:
        from PIL import Image

        image = read_image(item, index)
        image = image.convert("L" if self.channels == 1 else "RGB")
        h, w = self.image_size
        if image.size != (w, h):
            image = image.resize((w, h), Image.BILINEAR)
        arr = np.asarray(image, dtype=np.uint8)
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        return torch.from_numpy(arr.copy())

    def to_config(self) -> dict[str, Any]:
        return {"type": self.type, "channels": self.channels, "image_size": list(self.image_size),
                "mean": self.mean, "std": self.std}


def read_image(item: Any, index: int = 0) -> "Any":
    """A PIL image from a path, a PIL image, or an array ([H, W], [H, W, C], [C, H, W]; floats in
    [0, 1] or 0-255); ``index`` names the item in errors."""
    from PIL import Image

    if isinstance(item, (str, Path)):
        path = Path(item)
        if not path.is_file():
            raise DataError(f"image {path}: no such file")
        # The header first: a file claiming too many pixels is refused before it is decoded.
        with image_checks.open_image(path, f"image {path}", image_checks.max_image_pixels(),
                                     f"set {image_checks.MAX_PIXELS_ENV} to raise it") as img:
            image = image_checks.load_image(img, f"image {path}").copy()
    elif isinstance(item, Image.Image):
        image = item
    else:
        arr = np.asarray(item)
        if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[2] not in (1, 3):
            arr = arr.transpose(1, 2, 0)  # [C, H, W] -> [H, W, C]
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[:, :, 0]
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
            raise DataError(f"image #{index}: cannot read an array of shape {arr.shape} as an image")
        if arr.dtype != np.uint8:
            scale = 255.0 if arr.max(initial=0) <= 1.0 else 1.0
            arr = np.clip(arr * scale, 0, 255).astype(np.uint8)
        image = Image.fromarray(arr)
    return image


def to_unit_float(x: Tensor) -> Tensor:
    """Images as floats in [0, 1]: uint8 0-255 scaled, floats taken as they are."""
    return x.float() / 255.0 if x.dtype == torch.uint8 else x.float()


@register_adapter
class VectorAdapter(Adapter):
    """Feature vectors of ``input_dim``, standardised with ``mean`` / ``std`` learned by ``fit``."""

    type = "vector"

    def __init__(self, input_dim: int, mean: Sequence[float] | None = None,
                 std: Sequence[float] | None = None) -> None:
        super().__init__()
        self.input_dim = int(input_dim)
        self._set_stats(mean if mean is not None else [0.0] * self.input_dim,
                        std if std is not None else [1.0] * self.input_dim)

    def _set_stats(self, mean: Sequence[float], std: Sequence[float]) -> None:
        mean, std = [float(m) for m in mean], [float(s) for s in std]
        if len(mean) != self.input_dim or len(std) != self.input_dim or min(std) <= 0:
            raise ConfigError(f"vector adapter: mean/std need {self.input_dim} values with std > 0")
        self.mean, self.std = mean, std
        self.register_buffer("_mean", torch.tensor(mean).view(1, -1), persistent=False)
        self.register_buffer("_std", torch.tensor(std).view(1, -1), persistent=False)

    def fit(self, x: Tensor) -> "VectorAdapter":
        x = torch.as_tensor(x).float()
        # Constant features keep std 1 so that they stay constant instead of dividing by zero.
        std = x.std(dim=0)
        self._set_stats(x.mean(dim=0).tolist(), torch.where(std > 1e-8, std, torch.ones_like(std)).tolist())
        return self

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.input_dim:
            raise DataError(f"vectors: expected a [B, {self.input_dim}] batch, got shape {tuple(x.shape)}")
        return (x.float() - self._mean) / self._std

    def prepare(self, raw: Any) -> Tensor:
        try:
            x = raw if isinstance(raw, Tensor) else torch.as_tensor(np.asarray(raw, dtype=np.float32))
        except (TypeError, ValueError) as exc:
            raise DataError(f"vectors: cannot read the input as numbers ({exc})") from None
        x = x.unsqueeze(0) if x.dim() == 1 else x
        if x.dim() != 2 or x.shape[1] != self.input_dim:
            raise DataError(f"vectors: expected {self.input_dim} features per row, got shape {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise DataError("vectors: the input holds NaN or infinite values")
        return x.float()

    def to_config(self) -> dict[str, Any]:
        return {"type": self.type, "input_dim": self.input_dim, "mean": self.mean, "std": self.std}


@register_adapter
class TextAdapter(Adapter):
    """Texts, tokenised by a fitted :class:`siamkit.data.Tokenizer` to int64 ids padded with 0."""

    type = "text"

    def __init__(self, tokenizer: Any, max_length: int | None = None) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self.max_length = None if max_length is None else int(max_length)

    def prepare(self, raw: Any) -> Tensor:
        if isinstance(raw, Tensor):
            return raw
        texts = [raw] if isinstance(raw, str) else list(raw)
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise DataError(f"texts: item #{bad[0]} is a {type(texts[bad[0]]).__name__}, not a string")
        if not texts:
            raise DataError("texts: the input list is empty")
        return self.tokenizer.encode(texts, max_length=self.max_length)

    def forward(self, x: Tensor) -> Tensor:
        return x

    def to_config(self) -> dict[str, Any]:
        return {"type": self.type, "max_length": self.max_length, "tokenizer": self.tokenizer.to_dict()}

    @classmethod
    def from_saved(cls, config: dict[str, Any], folder: Path | None = None) -> "TextAdapter":
        from .data.text import Tokenizer

        return cls(Tokenizer.from_dict(config["tokenizer"]), config.get("max_length"))


def adapter_from_config(config: dict[str, Any], folder: Path | None = None) -> Adapter:
    """Rebuild an adapter from its ``to_config()`` dict (as stored in ``config.json``); ``folder`` is
    the model folder, for adapters that saved files there."""
    config = dict(config)
    kind = config.pop("type", None)
    if not isinstance(kind, str) or kind not in ADAPTERS:
        hint = did_you_mean(str(kind), ADAPTERS.names(True))
        raise ConfigError(f"adapter: unknown type {kind!r}{hint}; expected {', '.join(ADAPTERS.names())}")
    try:
        return ADAPTERS.get(kind).from_saved(config, folder)
    except (TypeError, KeyError) as exc:
        raise ConfigError(f"adapter {kind!r}: bad settings ({exc})") from None
