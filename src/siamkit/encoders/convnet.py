"""Convolutional encoder for images of any channel count and size.

Two presets:

* ``"default"``: blocks of (3x3 conv -> BatchNorm -> ReLU) x ``convs_per_block``, max-pooling between
  blocks, global average pooling and a linear projection. Global pooling makes it work for any image
  size (MNIST 28x28, faces 112x112, signatures of any aspect ratio).
* ``"keras-mnist"``: the small tower of the well-known Keras example "Image similarity estimation using
  a Siamese Network with a contrastive loss" (BatchNorm, Conv 4@5x5 tanh, AvgPool 2, Conv 16@5x5 tanh,
  AvgPool 2, Flatten, BatchNorm, Dense 10 tanh), with Keras' initialisation (Glorot uniform, zero bias)
  and BatchNorm settings (momentum 0.99 in Keras' convention, epsilon 1e-3), so that experiments with
  that recipe compare like for like. It needs a fixed ``image_size`` (flatten, no global pooling).

The convolution weights are kept in channels-last (NHWC) memory format. On CPU, oneDNN's backward
pass of small convolutions in the default NCHW format costs about 1.5-1.7x more (measured on a
2-core AMD EPYC with torch 2.13: keras-mnist tower 5.5 vs 9.7 ms per step of 32 images); with
NHWC weights torch runs every convolution of the encoder in NHWC whatever the input's layout, and
cuDNN prefers it too. Values are unchanged up to float rounding; saved weights are contiguous
(``SiameseNetwork.save``), and loading copies into the NHWC parameters.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import Tensor, nn

from ..errors import ConfigError
from ._layers import make_activation
from .base import Encoder, register_encoder

PRESETS = ("default", "keras-mnist")


@register_encoder("convnet", modality="image", output="embedding", data_args=("in_channels",),
                  auto=True)
class ConvNetEncoder(Encoder):
    """``[B, in_channels, H, W]`` images -> ``[B, embedding_dim]``.

    ``channels``, ``convs_per_block``, ``activation``, ``dropout`` shape the ``"default"`` preset;
    ``image_size`` (int or (H, W)) is needed by ``"keras-mnist"`` only.
    """

    @classmethod
    def data_arguments(cls, args: Mapping[str, Any]) -> tuple[str, ...] | None:
        """``in_channels``, and for ``"keras-mnist"`` (a flattening tower of one input size) the
        ``image_size`` of the data."""
        names = super().data_arguments(args) or ()
        return (*names, "image_size") if args.get("preset") == "keras-mnist" else names

    def __init__(
        self,
        in_channels: int = 1,
        embedding_dim: int | None = None,
        preset: str = "default",
        channels: Sequence[int] = (32, 64, 128),
        convs_per_block: int = 1,
        activation: str = "relu",
        dropout: float = 0.0,
        image_size: int | Sequence[int] | None = None,
        normalize: bool = False,
    ) -> None:
        super().__init__()
        if preset not in PRESETS:
            raise ConfigError(f"convnet: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        if int(in_channels) < 1:
            raise ConfigError(f"convnet: in_channels must be >= 1, got {in_channels}")
        self.in_channels = int(in_channels)
        self.preset = preset
        self.channels = tuple(int(c) for c in channels)
        self.convs_per_block = int(convs_per_block)
        self.activation = activation
        self.dropout = float(dropout)
        self.normalize = bool(normalize)
        if image_size is not None:
            image_size = (int(image_size),) * 2 if isinstance(image_size, (int, float)) else tuple(int(s) for s in image_size)
        self.image_size = image_size
        if preset == "keras-mnist":
            self.embedding_dim = int(embedding_dim) if embedding_dim is not None else 10
            self._build_keras_mnist()
        else:
            self.embedding_dim = int(embedding_dim) if embedding_dim is not None else 128
            self._build_default()
        self.to(memory_format=torch.channels_last)  # only 4-D tensors (conv weights) change

    def _build_default(self) -> None:
        if not self.channels or self.convs_per_block < 1:
            raise ConfigError("convnet: channels must be non-empty and convs_per_block >= 1")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"convnet: dropout must be in [0, 1), got {self.dropout}")
        layers: list[nn.Module] = []
        width = self.in_channels
        for i, out in enumerate(self.channels):
            if i > 0:
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
            for _ in range(self.convs_per_block):
                # No conv bias: BatchNorm's shift makes it redundant.
                layers += [nn.Conv2d(width, out, 3, padding=1, bias=False), nn.BatchNorm2d(out),
                           make_activation(self.activation)]
                width = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(self.dropout), nn.Linear(width, self.embedding_dim))

    def _build_keras_mnist(self) -> None:
        if self.image_size is None:
            self.image_size = (28, 28)
        h, w = self.image_size
        # Keras BatchNormalization(momentum=0.99, epsilon=1e-3) == torch momentum 0.01.
        self.features = nn.Sequential(
            nn.BatchNorm2d(self.in_channels, eps=1e-3, momentum=0.01),
            nn.Conv2d(self.in_channels, 4, 5), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(4, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        )
        fh, fw = ((h - 4) // 2 - 4) // 2, ((w - 4) // 2 - 4) // 2
        if fh < 1 or fw < 1:
            raise ConfigError(f"convnet keras-mnist: image_size {self.image_size} is too small (needs >= 16x16)")
        flat = 16 * fh * fw
        self.pool = nn.Identity()
        self.head = nn.Sequential(
            nn.Flatten(), nn.BatchNorm1d(flat, eps=1e-3, momentum=0.01),
            nn.Linear(flat, self.embedding_dim), nn.Tanh(),
        )
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def encode(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"convnet encoder expects [B, {self.in_channels}, H, W] images, got {tuple(x.shape)}"
            )
        if self.preset == "keras-mnist" and tuple(x.shape[2:]) != tuple(self.image_size):
            raise ValueError(f"convnet keras-mnist expects {self.image_size} images, got {tuple(x.shape[2:])}")
        return self.head(self.pool(self.features(x.float())))

    @torch.no_grad()
    def feature_map(self, x: Tensor) -> Tensor:
        """Convolutional features before pooling (for inspection and dense matching)."""
        return self.features(x.float())
