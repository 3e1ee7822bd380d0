"""Loading, resolving and saving experiment configs.

``load_config("exp.toml", overrides=["training.epochs=3"])`` reads the file, applies the overrides,
builds the :class:`~siamkit.config.schema.ExperimentConfig` (every key and type checked) and checks
the values. ``save_config(cfg, folder)`` writes the resolved config (every default filled in) as
``config.toml`` and ``config.json``, so a run folder says exactly what produced it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._io import atomic_write_json, atomic_write_text
from .checks import check_config
from .fields import from_dict, to_dict
from .overrides import apply_overrides
from .schema import ExperimentConfig
from .toml_io import dump_toml, read_toml

TOML_FILE = "config.toml"
JSON_FILE = "config.json"


def parse_config(data: dict[str, Any], source: str = "config", overrides: Iterable[str] = ()
                 ) -> ExperimentConfig:
    """An :class:`ExperimentConfig` from a parsed-TOML dict (and ``section.key=value`` overrides)."""
    overrides = list(overrides)
    if overrides:
        data = apply_overrides(data, overrides)
        source = f"{source} (with overrides)"
    cfg = from_dict(ExperimentConfig, data, source)
    cfg.source = source
    return check_config(cfg)


def load_config(path: str | os.PathLike, overrides: Iterable[str] = ()) -> ExperimentConfig:
    """Read, override, validate: see the module docstring."""
    return parse_config(read_toml(path), str(path), overrides)


def config_to_dict(cfg: ExperimentConfig) -> dict[str, Any]:
    """The resolved config as plain data (what config.json holds; optional keys left unset omitted)."""
    return to_dict(cfg)


def config_to_toml(cfg: ExperimentConfig) -> str:
    return dump_toml(config_to_dict(cfg), header=f"siamkit experiment config, resolved from "
                                                 f"{cfg.source}: every default filled in")


def save_config(cfg: ExperimentConfig, folder: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``config.toml`` and ``config.json`` into ``folder``; return their paths."""
    folder = Path(folder)
    toml_path = atomic_write_text(folder / TOML_FILE, config_to_toml(cfg))
    json_path = atomic_write_json(folder / JSON_FILE, config_to_dict(cfg))
    return toml_path, json_path


def config_from_json(text: str, source: str = "config.json") -> ExperimentConfig:
    """An :class:`ExperimentConfig` from the JSON that :func:`save_config` wrote."""
    return parse_config(json.loads(text), source)
