"""``siamkit export MODEL --format onnx OUT``: a trained model as an ONNX folder for ONNX Runtime.

The folder holds ``model.onnx`` (the input adapter's normalisation and the encoder, dynamic batch
and text length), ``head.onnx`` for a model with a head, and ``siamkit_onnx.json`` (distance,
threshold, adapter with its tokenizer, score kind, the source model's fingerprint): see
:mod:`siamkit.runtime.onnx_folder`. ``siamkit serve OUT --runtime onnx`` and ``siamkit embed OUT
... --runtime onnx`` run it. An encoder that cannot be exported is refused in one line saying why.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._common import add_command, add_json_flag, emit, load_model

FORMATS = ("onnx",)
EXAMPLES = """\
  siamkit export runs/mnist/model --format onnx runs/mnist/onnx
  siamkit serve runs/mnist/onnx --runtime onnx --threads 2
  siamkit embed runs/mnist/onnx images/ --out emb.npy --runtime onnx"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(subparsers, "export", "export a model to ONNX for ONNX Runtime",
                    "Write a trained model as a folder for ONNX Runtime: model.onnx (image or "
                    "vector normalisation and the encoder in one graph; dynamic batch, and dynamic "
                    "length for text), head.onnx for a model with a head, and siamkit_onnx.json "
                    "(distance, threshold, adapter and tokenizer, score kind, the source model's "
                    "fingerprint). The export is checked against PyTorch (1e-4) before it is "
                    "written. Needs the onnx extra: pip install siamkit[onnx].", EXAMPLES)
    p.add_argument("model", help="model folder (config.json + model.safetensors)")
    p.add_argument("out", help="output folder (must not exist)")
    p.add_argument("--format", required=True, choices=FORMATS, help="export format")
    p.add_argument("--opset", type=int, help="ONNX opset version (default: the exporter's)")
    add_json_flag(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..runtime import export_onnx, import_onnxruntime, read_onnx_config

    out = Path(args.out)
    if out.exists():
        raise ConfigError(f"output {out}: already exists; choose a new folder or remove it")
    import_onnxruntime()  # before loading the model: a missing extra is one line, at once
    model = load_model(args.model)
    export_onnx(model, out, opset=args.opset)
    config = read_onnx_config(out)
    diff = config["max_abs_difference"]
    data = {"out": str(out), "format": args.format, "files": sorted(p.name for p in out.iterdir()),
            "input": config["input"], "max_abs_difference": diff}
    worst = max(diff.values())
    emit(args, data, f"wrote {out} ({', '.join(data['files'])}); ONNX Runtime agrees with "
                     f"PyTorch to {worst:.1e}")
    return 0
