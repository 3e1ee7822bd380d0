"""The exported ONNX folder: what ``siamkit export MODEL --format onnx OUT`` writes, and reading it.

::

    OUT/
      model.onnx          storage-form inputs -> embeddings [B, D]: the input adapter's forward
                          (image normalisation) and the encoder, one graph, dynamic batch (and
                          sequence length for text)
      head.onnx           only for a model with a head: (u [B, D], v [B, D]) -> match probability
      siamkit_onnx.json   what the graphs are and how to use them (below)
      ...                 files the adapter writes beside its config (a Hugging Face tokenizer's)

``siamkit_onnx.json`` makes the folder self-describing without PyTorch weights: the source model's
whole ``config.json`` (encoder, adapter with its tokenizer vocabulary or normalisation, distance,
head, threshold, embedding size), its score kind, the gallery fingerprint of the model it was
exported from (a gallery enrolled with the PyTorch model accepts the exported one and no other),
the graphs' input and output names, dtypes and shapes, the exporter and opset, and the largest
difference from PyTorch measured when it was written. Scores of a model without a head are computed
from the embeddings outside the graph, with the same distance code as the PyTorch model.
Reading it never runs code from the folder.

Format versions. Version 1: a graph of one input, described by ``"input"`` (name, dtype, shape,
and for siamkit's tokenizer the padding id the runtime may trim). Version 2: a graph of several
inputs (a Hugging Face text tower's ``input_ids`` and ``attention_mask``), described by
``"inputs"`` (a list of name, dtype, shape) and ``"storage"``: the adapter's one tensor (``[B, L,
2]``) and which slice of its last axis feeds which input, with the padding the runtime may trim
named by its mask input. A folder is written at the lowest version that describes it, so every
single-input folder stays readable by siamkit releases that know only version 1, and those refuse
a version-2 folder with "written with a newer format; upgrade siamkit" (their check of
``format_version``) instead of feeding its graph one input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ModelFileError

CONFIG_FILE = "siamkit_onnx.json"
ENCODER_FILE = "model.onnx"
HEAD_FILE = "head.onnx"
FORMAT = "siamkit-onnx"
FORMAT_VERSION = 2  # the newest this reader knows
SINGLE_INPUT_VERSION, MULTI_INPUT_VERSION = 1, 2
INPUT_NAME, OUTPUT_NAME = "inputs", "embeddings"
HEAD_INPUTS, HEAD_OUTPUT = ("u", "v"), "scores"
REQUIRED = ("format", "format_version", "model", "fingerprint", "score_kind", "output")
REQUIRED_BY_VERSION = {SINGLE_INPUT_VERSION: ("input",), MULTI_INPUT_VERSION: ("inputs", "storage")}


def read_onnx_config(path: str | Path) -> dict[str, Any]:
    """The validated ``siamkit_onnx.json`` of an exported folder ``path``."""
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"onnx model {path}: no such folder (an exported model is a folder "
                             f"with {CONFIG_FILE} and {ENCODER_FILE}; write one with siamkit export)")
    if not (path / CONFIG_FILE).is_file():
        hint = (" (this is a PyTorch model folder: export it with siamkit export MODEL --format "
                "onnx OUT, or drop --runtime onnx)") if (path / "model.safetensors").is_file() else ""
        raise ModelFileError(f"onnx model {path}: {CONFIG_FILE} is missing{hint}")
    try:
        config = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"onnx model {path}: {CONFIG_FILE} is not valid JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(f"onnx model {path}: {CONFIG_FILE} is not a siamkit ONNX config "
                             f"(no format: {FORMAT})")
    version = config.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFileError(f"onnx model {path}: {CONFIG_FILE} has no valid format_version "
                             f"(got {version!r})")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"onnx model {path}: written with a newer format "
                             f"({config['format_version']}); upgrade siamkit")
    missing = [key for key in REQUIRED + REQUIRED_BY_VERSION[version] if key not in config]
    if missing:
        raise ModelFileError(f"onnx model {path}: {CONFIG_FILE} lacks {', '.join(missing)}")
    needed = [ENCODER_FILE] + ([HEAD_FILE] if config["model"].get("head") else [])
    for name in needed:
        if not (path / name).is_file():
            raise ModelFileError(f"onnx model {path}: {name} is missing")
    return config


def graph_inputs(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The graph's inputs (name, dtype, shape) of a validated config, whatever its version."""
    if config["format_version"] == SINGLE_INPUT_VERSION:
        return [config["input"]]
    return list(config["inputs"])
