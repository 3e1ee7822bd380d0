"""What the image-backbone encoders (``timm``, ``torchvision``) share: the optional import, the
bounds checked before anything is built, weights read from a user's safetensors file, the
projection to ``embedding_dim``, and the input adapter (the backbone's evaluation transform).

The backbone is built with random weights (``pretrained=False`` / ``weights=None``: nothing is
downloaded), then, when the user names one, loaded from a ``.safetensors`` file. A pickle file
(``.pt``, ``.pth``, ``.bin``, ``.ckpt``) is refused: unpickling runs code. A saved siamkit model
keeps the architecture name and sizes in ``config.json`` and all weights in its own
``model.safetensors``, so it reloads without the original weights file.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

import torch
from torch import Tensor, nn

from ..backbone_input import MAX_SIDE, BackboneImageAdapter
from ..errors import ConfigError
from .base import Encoder

MAX_EMBEDDING_DIM = 65536
MAX_PARAMETERS = 2_000_000_000  # a bound on what a config.json may make siamkit allocate
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle")


def import_extra(module: str, encoder: str) -> Any:
    """``module``, or one line saying which extra to install."""
    try:
        return importlib.import_module(module)
    except Exception as exc:  # ImportError, or torchvision's operator error beside another torch
        raise ConfigError(f"{encoder}: needs {module}; install siamkit[vision] (pip install "
                          f"'siamkit[vision]'); importing {module} failed with "
                          f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}") from None


def check_sizes(encoder: str, embedding_dim: Any, image_size: Any, in_chans: Any) -> None:
    if embedding_dim is not None and (isinstance(embedding_dim, bool) or not isinstance(
            embedding_dim, int) or not 1 <= embedding_dim <= MAX_EMBEDDING_DIM):
        raise ConfigError(f"{encoder}: embedding_dim must be None or an int in "
                          f"1..{MAX_EMBEDDING_DIM}, got {embedding_dim!r}")
    if image_size is not None and (isinstance(image_size, bool) or not isinstance(
            image_size, int) or not 8 <= image_size <= MAX_SIDE):
        raise ConfigError(f"{encoder}: image_size must be None or an int in "
                          f"8..{MAX_SIDE}, got {image_size!r}")
    if in_chans not in (1, 3):
        raise ConfigError(f"{encoder}: in_chans must be 1 or 3, got {in_chans!r}")


def checked_build(encoder: str, build: Callable[[], nn.Module]) -> nn.Module:
    """``build()``, after building it once on the meta device (no memory) to count its parameters
    against :data:`MAX_PARAMETERS`, so that a hostile config cannot make siamkit allocate much."""
    with torch.device("meta"):
        shape_only = build()
    count = sum(p.numel() for p in shape_only.parameters())
    del shape_only
    if count > MAX_PARAMETERS:
        raise ConfigError(f"{encoder}: {count:,} parameters, more than siamkit builds "
                          f"from a config ({MAX_PARAMETERS:,})")
    return build()


def load_weights(module: nn.Module, path: str, encoder: str, drop: tuple[str, ...] = ()) -> None:
    """Load the backbone's weights from the safetensors file ``path``. Keys of the classifier that
    was removed (``drop``: prefixes) are left out; any other missing, unexpected or misshapen key
    is an error that names a few."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    file = Path(path)
    where = f"{encoder}: weights {file}"
    if file.suffix.lower() in PICKLE_SUFFIXES:
        raise ConfigError(f"{where}: a pickle file, which siamkit does not load (unpickling runs "
                          f"code); convert it to .safetensors (safetensors.torch.save_file)")
    if not file.is_file():
        raise ConfigError(f"{where}: no such file")
    try:
        state = load_file(str(file))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"{where}: not a readable safetensors file ({exc})") from None
    state = {k: v for k, v in state.items() if not k.startswith(drop)}
    own = module.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unexpected:
        raise ConfigError(f"{where}: does not fit the architecture: {len(missing)} missing key(s) "
                          f"{missing[:3]}, {len(unexpected)} unexpected {unexpected[:3]}")
    wrong = [k for k in own if own[k].shape != state[k].shape]
    if wrong:
        k = wrong[0]
        raise ConfigError(f"{where}: {len(wrong)} key(s) of the wrong shape, e.g. {k}: "
                          f"{tuple(state[k].shape)} in the file, {tuple(own[k].shape)} here")
    module.load_state_dict(state)


class BackboneEncoder(Encoder):
    """An image backbone that outputs pooled features, then an optional linear projection to
    ``embedding_dim`` (None, or the backbone's width: no projection). Subclasses set
    ``self.backbone``, ``num_features`` and ``transform_`` (the adapter's arguments)."""

    backbone: nn.Module
    num_features: int
    transform_: dict[str, Any]

    def _finish(self, embedding_dim: int | None) -> None:
        width = self.num_features
        project = embedding_dim is not None and embedding_dim != width
        self.projection = nn.Linear(width, embedding_dim) if project else nn.Identity()
        self.embedding_dim = embedding_dim if project else width

    def export_graph(self) -> nn.Module:
        from ..errors import ExportError

        raise ExportError(f"{self.name}: ONNX export of the pretrained image backbones is not "
                          "verified against ONNX Runtime yet, so siamkit does not write it")

    def encode(self, x: Tensor) -> Tensor:
        return self.projection(self.backbone(x))

    def backbone_prefixes(self) -> tuple[str, ...]:
        """Names (prefixes) of the pretrained part's parameters, for the Trainer's fine-tuning
        controls (freeze, its own learning rate, frozen BatchNorm); the projection is the head."""
        return ("backbone.",)

    def input_adapter(self) -> BackboneImageAdapter:
        """The adapter that feeds this backbone: its evaluation transform."""
        return BackboneImageAdapter(**self.transform_)

    @classmethod
    def from_saved(cls, config: dict[str, Any], folder: Path | None = None) -> "Encoder":
        # every weight is in the model's own model.safetensors; the original file may be gone
        return super().from_saved({**config, "weights": None}, folder)
