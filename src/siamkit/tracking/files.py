"""The files of a saved SiamFC tracker: checking ``config.json`` and reading older versions.

A tracker is a folder with ``config.json`` (JSON only) and ``model.safetensors`` (tensors only),
never pickle; see :meth:`siamkit.tracking.SiamFCTracker.save`. Version 2 stores the adjust scale
as its logarithm (``adjust_log_scale``) so that it stays positive; version-1 files are read when
their scale is positive.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from torch import Tensor

from ..errors import ModelFileError
from ..model import CONFIG_FILE, WEIGHTS_FILE

FORMAT = "siamkit-tracker"
FORMAT_VERSION = 2  # 2: adjust_log_scale replaces adjust_scale
_CONFIG_KEYS = {
    "format",
    "format_version",
    "siamkit_version",
    "encoder",
    "exemplar_size",
    "search_size",
    "context",
    "tracking",
    "metadata",
}


def upgrade_version_1(config: dict[str, Any], state: dict[str, Tensor], path: Path) -> None:
    """Read a version-1 tracker: its 'siamfc' encoder had BatchNorm, and its adjust scale was a
    plain parameter (now stored as a logarithm, so it must be positive)."""
    encoder = config.get("encoder")
    if isinstance(encoder, dict) and encoder.get("name") == "siamfc":
        encoder.setdefault("config", {}).setdefault("batch_norm", True)
    if "adjust_scale" in state:
        scale = state.pop("adjust_scale")
        if not scale.item() > 0:
            raise ModelFileError(
                f"tracker {path}: {WEIGHTS_FILE}: adjust_scale is {scale.item():.4g}, not positive "
                "(higher correlation would mean a worse match); retrain this tracker"
            )
        state["adjust_log_scale"] = scale.log()


def read_config(path: Path) -> dict[str, Any]:
    if not path.is_dir():
        raise ModelFileError(
            f"tracker {path}: no such folder "
            f"(a tracker is a folder with {CONFIG_FILE} and {WEIGHTS_FILE})"
        )
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (path / name).is_file():
            raise ModelFileError(f"tracker {path}: {name} is missing")
    try:
        config = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"tracker {path}: {CONFIG_FILE} is not valid JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        found = config.get("format") if isinstance(config, dict) else None
        hint = " (that is a Siamese model, not a tracker)" if found == "siamkit-model" else ""
        raise ModelFileError(
            f"tracker {path}: {CONFIG_FILE} is not a siamkit tracker config "
            f"(format {found!r}){hint}"
        )
    if int(config.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelFileError(
            f"tracker {path}: saved with a newer format ({config['format_version']}); "
            "upgrade siamkit"
        )
    unknown = sorted(set(config) - _CONFIG_KEYS)
    if unknown:
        raise ModelFileError(
            f"tracker {path}: {CONFIG_FILE} has unknown key(s) {', '.join(unknown)}"
        )
    missing = [k for k in ("encoder", "exemplar_size", "search_size", "context") if k not in config]
    if missing:
        raise ModelFileError(f"tracker {path}: {CONFIG_FILE} lacks the key(s) {', '.join(missing)}")
    return config
