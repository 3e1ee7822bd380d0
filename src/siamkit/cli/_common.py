"""Pieces every ``siamkit`` subcommand shares: help formatting, output, loading a model."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any


class Parser(argparse.ArgumentParser):
    """A usage error in two lines (what is wrong, where help is) instead of the whole usage text.
    Subcommand parsers, plugins' included, are made of this class too."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n{self.prog}: see '{self.prog} --help'\n")

    def format_help(self) -> str:
        # ``more_help``: text made only when help is shown (a listing that must import torch).
        more = getattr(self, "more_help", None)
        text = super().format_help()
        return f"{text}\n{more()}\n" if more else text


class HelpFormatter(argparse.HelpFormatter):
    """Wraps one-paragraph descriptions, keeps multi-line text (the examples) as written, and
    shows defaults where an option has one."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text.strip():
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.default not in (None, False, argparse.SUPPRESS) and "(default" not in text
                and action.option_strings and not isinstance(action.default, list)):
            text += " (default: %(default)s)"
        return text


def add_command(subparsers: Any, name: str, help: str, description: str, examples: str
                ) -> argparse.ArgumentParser:
    return subparsers.add_parser(name, help=help, description=description,
                                 epilog="examples:\n" + examples, formatter_class=HelpFormatter)


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document on stdout instead of text, for scripts")


def json_ready(value: Any) -> Any:
    """Non-finite floats as None (strict JSON), paths as strings, tuples as lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy / torch scalars
        return json_ready(value.item())
    return value


def emit(args: argparse.Namespace, data: Any, text: str, indent: int | None = 2) -> None:
    """The result on stdout: JSON with ``--json`` (on one line with ``indent=None``), else the
    readable text."""
    if getattr(args, "json", False):
        print(json.dumps(json_ready(data), indent=indent, allow_nan=False))
    else:
        print(text)
    sys.stdout.flush()


def load_model(path: str | Path, device: str = "cpu", runtime: str = "torch",
               threads: int | None = None) -> Any:
    """A saved :class:`siamkit.SiameseNetwork` (a folder with config.json and model.safetensors),
    or with ``runtime="onnx"`` an exported folder on ONNX Runtime (:class:`siamkit.OnnxModel`)."""
    if runtime != "torch" or threads:
        from ..runtime import load_runtime

        return load_runtime(path, runtime, device, threads)
    from ..model import SiameseNetwork

    return SiameseNetwork.load(path, map_location=_device(device))


def add_runtime_flags(parser: argparse.ArgumentParser) -> None:
    """``--runtime torch|onnx`` and ``--threads N``: which engine runs the model, on how many
    intra-op threads."""
    parser.add_argument("--runtime", choices=("torch", "onnx"), default="torch",
                        help="torch: a model folder on PyTorch; onnx: a folder written by "
                             "`siamkit export --format onnx`, on ONNX Runtime's CPU provider "
                             "(pip install siamkit[onnx])")
    parser.add_argument("--threads", type=int,
                        help="intra-op threads of the runtime (default: its own, one per core)")


def _device(name: str) -> Any:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def describe_threshold(info: dict[str, Any] | None) -> str:
    """``rule accuracy, chosen on validation pairs: 720 pairs (360 same, 360 different)``."""
    if not info:
        return ""
    rule = info.get("rule", "?")
    extra = f" (target FAR {info['target_far']:g})" if info.get("target_far") is not None else ""
    chosen = f", chosen on {info['chosen_on']}" if info.get("chosen_on") else ""
    return f"rule {rule}{extra}{chosen}"


def score_meaning(model: Any) -> str:
    """What the model's scores are, in words ("minus the euclidean distance", ...)."""
    return model.score_scale.score_description
