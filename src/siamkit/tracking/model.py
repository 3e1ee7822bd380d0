"""The SiamFC network: ONE fully-convolutional encoder, cross-correlation, and an adjust layer.

Bertinetto, Valmadre, Henriques, Vedaldi & Torr (2016), "Fully-Convolutional Siamese Networks for
Object Tracking". The exemplar (the target, cropped with some context) and the search region (a
larger crop of the next frame) pass through the same encoder; the exemplar's feature map,
cross-correlated over the search's, gives a map of logits whose peak is where the target is. The
adjust layer (``scale * xcorr + bias``, SiamFC's final BatchNorm) brings the raw correlations, sums
of hundreds of products, to the range of a logistic loss. Its scale is kept positive (learned as
its logarithm): with a plain parameter starting at 1e-3, one early optimiser step on hard
negatives could flip its sign, after which a target that matches the exemplar exactly scores
lowest, and a shared encoder cannot undo that (a patch's correlation with itself is a sum of
squares); trackers trained with distractor-centred search regions fell into that trap.

:class:`siamkit.SiameseNetwork` maps inputs to ``[B, D]`` vectors; this model keeps the spatial
layout instead, so it is its own small class. It saves the way every siamkit model does: a folder
with ``config.json`` (encoder by registry name and arguments, crop sizes, search settings) and
``model.safetensors``; loading reads JSON and tensors only, never pickle.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ..atomic import atomic_path, atomic_write_json
from ..version import __version__
from ..encoders.base import Encoder, create_encoder
from ..errors import ConfigError, ModelFileError
from ..model import CONFIG_FILE, WEIGHTS_FILE, check_state_keys, read_weights
from .files import FORMAT, FORMAT_VERSION, read_config, upgrade_version_1
from .params import TrackingParams
from .xcorr import cross_correlation


class SiamFCTracker(nn.Module):
    """A SiamFC tracking model. Track with :class:`siamkit.tracking.Tracker` (or :meth:`track`).

    Args:
        encoder: a registered fully-convolutional encoder with ``total_stride`` (default
            ``create_encoder("siamfc")``).
        exemplar_size, search_size: sides in pixels of the exemplar and search crops fed to the
            encoder; ``search_size - exemplar_size`` must be a multiple of the encoder's stride so
            that the centre of the score map is the centre of the search region. The defaults,
            48 and 96, give the default encoder 7x7 and 19x19 maps (13x13 scores): on MNIST-sized
            targets, 32 and 64 (3x3 exemplar maps) tracked markedly worse.
        context: context margin of the exemplar crop, as a fraction of ``w + h`` (SiamFC: 0.5).
        params: search settings (:class:`TrackingParams` or a dict of them).
    """

    def __init__(
        self,
        encoder: nn.Module | None = None,
        exemplar_size: int = 48,
        search_size: int = 96,
        context: float = 0.5,
        params: TrackingParams | dict | None = None,
        metadata: dict | None = None,
    ) -> None:
        super().__init__()
        self.encoder = encoder if encoder is not None else create_encoder("siamfc")
        self.exemplar_size, self.search_size, self.context = (
            int(exemplar_size),
            int(search_size),
            float(context),
        )
        self.params = (
            params if isinstance(params, TrackingParams) else TrackingParams.from_dict(params)
        )
        self.metadata = dict(metadata or {})
        self.adjust_log_scale = nn.Parameter(torch.tensor(math.log(1e-3)))
        self.adjust_bias = nn.Parameter(torch.tensor(0.0))
        self.total_stride = int(getattr(self.encoder, "total_stride", 0))
        if self.total_stride < 1:
            raise ConfigError(
                "tracker: the encoder must be fully convolutional and state its total_stride"
            )
        if not 0 < self.exemplar_size < self.search_size:
            raise ConfigError(
                f"tracker: need 0 < exemplar_size < search_size, got {exemplar_size}, {search_size}"
            )
        if self.context < 0:
            raise ConfigError(f"tracker: context must be >= 0, got {context}")
        self.score_size = self._map_size(self.search_size) - self._map_size(self.exemplar_size) + 1
        if (self.score_size - 1) * self.total_stride != self.search_size - self.exemplar_size:
            raise ConfigError(
                "tracker: search_size - exemplar_size = "
                f"{self.search_size - self.exemplar_size} must be a "
                f"multiple of the encoder's stride {self.total_stride} (e.g. 48 and 96)"
            )

    def _map_size(self, size: int) -> int:
        channels = getattr(self.encoder, "in_channels", 1)
        was_training = self.encoder.training
        self.encoder.eval()  # a probe must not move BatchNorm's running statistics
        try:
            with torch.no_grad():
                return int(self.encoder(torch.zeros(1, channels, size, size)).shape[-1])
        except (RuntimeError, ValueError) as exc:
            raise ConfigError(
                f"tracker: the encoder cannot read {size}x{size} crops ({exc})"
            ) from None
        finally:
            self.encoder.train(was_training)

    @property
    def adjust_scale(self) -> Tensor:
        """The (positive) scale of the correlations: a higher correlation is a higher score."""
        return self.adjust_log_scale.exp()

    @property
    def in_channels(self) -> int:
        return int(getattr(self.encoder, "in_channels", 1))

    def features(self, crops: Tensor) -> Tensor:
        """Feature maps of crops ``[B, C, h, w]`` (floats in [0, 1])."""
        return self.encoder(crops)

    def score(self, z_features: Tensor, x_features: Tensor) -> Tensor:
        """Logits ``[B, 1, score_size, score_size]`` from exemplar and search feature maps."""
        return cross_correlation(z_features, x_features) * self.adjust_scale + self.adjust_bias

    def forward(self, exemplars: Tensor, searches: Tensor) -> Tensor:
        """Score-map logits of exemplar crops ``[B, C, e, e]`` over search crops ``[B, C, s, s]``,
        both through the one encoder."""
        return self.score(self.features(exemplars), self.features(searches))

    def track(self, frames: Any, box: Any, **params: Any) -> Any:
        """Track from ``box`` (x, y, w, h) in the first of ``frames``; see
        :func:`siamkit.tracking.track`."""
        from .tracker import track

        return track(self, frames, box, **params)

    # ---- saving and loading -----------------------------------------------------------------

    def to_config(self) -> dict[str, Any]:
        enc = self.encoder
        if not (isinstance(enc, Encoder) and enc.name):
            raise ConfigError(
                "tracker: only registered encoders can be saved "
                "(see siamkit.encoders.register_encoder)"
            )
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "siamkit_version": __version__,
            "encoder": {"name": enc.name, "config": enc.get_config()},
            "exemplar_size": self.exemplar_size,
            "search_size": self.search_size,
            "context": self.context,
            "tracking": self.params.to_dict(),
            "metadata": self.metadata,
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into the folder ``path`` (atomically)."""
        from safetensors.torch import save_file

        path = Path(path)
        config = self.to_config()
        path.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        with atomic_path(path / WEIGHTS_FILE) as tmp:
            save_file(state, str(tmp), metadata={"format": "pt", "siamkit_version": __version__})
        atomic_write_json(path / CONFIG_FILE, config)
        return path

    @classmethod
    def load(
        cls, path: str | os.PathLike, map_location: str | torch.device = "cpu"
    ) -> "SiamFCTracker":
        """Rebuild a saved tracker (in eval mode)."""
        path = Path(path)
        config = read_config(path)
        state = read_weights(path / WEIGHTS_FILE)
        if int(config.get("format_version", 1)) < 2:
            upgrade_version_1(config, state, path)
        try:
            enc = create_encoder(config["encoder"]["name"], **config["encoder"].get("config", {}))
            model = cls(
                enc,
                exemplar_size=config["exemplar_size"],
                search_size=config["search_size"],
                context=config["context"],
                params=config.get("tracking"),
                metadata=config.get("metadata"),
            )
        except (ConfigError, KeyError, TypeError) as exc:
            raise ModelFileError(f"tracker {path}: {CONFIG_FILE}: {exc}") from None
        check_state_keys(model, state, f"tracker {path}")
        model.load_state_dict(state)
        return model.to(map_location).eval()
