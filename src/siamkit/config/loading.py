"""Loading, resolving and saving experiment configs.

``load_config("exp.toml", overrides=["training.epochs=3"])`` reads the file, applies the overrides,
builds the :class:`~siamkit.config.schema.ExperimentConfig` (every key and type checked) and checks
the values. ``save_config(cfg, folder)`` writes the resolved config (every default filled in) as
``config.toml`` and ``config.json``, so a run folder says exactly what produced it. Relative paths
of the ``[data]`` section are made absolute (against the config file's folder, or the working folder
for overrides), so the saved config names the same files wherever it is read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_json, atomic_write_text
from .checks import check_config, keys_of_other_sources
from .fields import from_dict, to_dict
from .overrides import apply_overrides
from .schema import ExperimentConfig
from .toml_io import dump_toml, read_toml

TOML_FILE = "config.toml"
JSON_FILE = "config.json"


PATH_KEYS = ("path", "labels", "val_path", "test_path", "data_dir")


def anchor_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """``data`` with the relative ``[data]`` paths made absolute against ``base`` (``~`` expanded),
    so that a saved config means the same files from any working folder."""
    section = data.get("data")
    if not isinstance(section, dict):
        return data
    fixed = dict(section)
    for key in PATH_KEYS:
        value = fixed.get(key)
        if isinstance(value, str) and value:
            path = Path(value).expanduser()
            fixed[key] = str(path if path.is_absolute() else (base / path).absolute())
    return {**data, "data": fixed}


def parse_config(data: dict[str, Any], source: str = "config", overrides: Iterable[str] = ()
                 ) -> ExperimentConfig:
    """An :class:`ExperimentConfig` from a parsed-TOML dict (and ``section.key=value`` overrides;
    relative paths given in overrides are taken from the working folder)."""
    overrides = list(overrides)
    if overrides:
        data = anchor_paths(apply_overrides(data, overrides), Path.cwd())
        source = f"{source} (with overrides)"
    cfg = from_dict(ExperimentConfig, data, source)
    cfg.source = source
    return check_config(cfg)


def load_config(path: str | os.PathLike, overrides: Iterable[str] = ()) -> ExperimentConfig:
    """Read, override, validate: see the module docstring. Relative ``[data]`` paths in the file
    are relative to the file's folder."""
    data = anchor_paths(read_toml(path), Path(path).absolute().parent)
    return parse_config(data, str(path), overrides)


def config_to_dict(cfg: ExperimentConfig) -> dict[str, Any]:
    """The resolved config as plain data (what config.json holds; optional keys left unset omitted,
    and the ``[data]`` keys that only other sources read, such as a dataset ``name`` for an image
    folder, left out: they would show a default that plays no part)."""
    data = to_dict(cfg)
    other = keys_of_other_sources(cfg.data)
    data["data"] = {k: v for k, v in data["data"].items() if k not in other}
    return data


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
