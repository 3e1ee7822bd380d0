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
FORMAT_VERSION = 1
INPUT_NAME, OUTPUT_NAME = "inputs", "embeddings"
HEAD_INPUTS, HEAD_OUTPUT = ("u", "v"), "scores"
REQUIRED = ("format", "format_version", "model", "fingerprint", "score_kind", "input", "output")


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
    if int(config.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelFileError(f"onnx model {path}: written with a newer format "
                             f"({config['format_version']}); upgrade siamkit")
    missing = [key for key in REQUIRED if key not in config]
    if missing:
        raise ModelFileError(f"onnx model {path}: {CONFIG_FILE} lacks {', '.join(missing)}")
    needed = [ENCODER_FILE] + ([HEAD_FILE] if config["model"].get("head") else [])
    for name in needed:
        if not (path / name).is_file():
            raise ModelFileError(f"onnx model {path}: {name} is missing")
    return config
