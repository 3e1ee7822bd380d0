"""``siamkit embed MODEL INPUTS --out FILE``: embeddings of many inputs, as ``.npy`` or ``.csv``.

``.npy``: a float32 array ``[N, D]``, row i the embedding of input i (in the order the inputs were
named, folders expanded in sorted order). ``.csv``: a header ``input,e0,...,e{D-1}`` and one row per
input, named.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_path
from ..errors import ConfigError
from ..inputs import read_inputs
from ._common import add_command, add_json_flag, add_runtime_flags, emit, load_model

EXAMPLES = """\
  siamkit embed runs/faces/model photos/ --out faces.npy
  siamkit embed runs/questions/model --from-file questions.txt --out questions.csv
  siamkit embed runs/vectors/model data.npy --out embeddings.npy --json
  siamkit embed runs/faces/onnx photos/ --out faces.npy --runtime onnx --threads 2"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(subparsers, "embed", "write the embeddings of inputs to .npy or .csv",
                    "Embed inputs with a trained model's encoder and write them to a file: .npy "
                    "(float32 [N, D], rows in input order) or .csv (a header input,e0,e1,... and one "
                    "named row per input). Inputs: image files and folders for an image model; texts "
                    "for a text model; .npy/.csv files or comma-separated numbers for a vector model.",
                    EXAMPLES)
    p.add_argument("model", help="model folder (config.json + model.safetensors), or an "
                                 "exported ONNX folder with --runtime onnx")
    p.add_argument("inputs", nargs="*", help="images, folders, texts or vector files")
    p.add_argument("--from-file", help="read inputs from this file, one per line")
    p.add_argument("--out", "-o", required=True, help="output file, .npy or .csv")
    p.add_argument("--batch-size", type=int, default=256, help="inputs per forward pass")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    add_runtime_flags(p)
    add_json_flag(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".npy", ".csv"):
        raise ConfigError(f"--out {out}: must end in .npy or .csv")
    if args.batch_size < 1:
        raise ConfigError(f"--batch-size: must be >= 1, got {args.batch_size}")
    model = load_model(args.model, args.device, args.runtime, args.threads)
    inputs, names = read_inputs(model, args.inputs, args.from_file)
    embeddings = model.encode(inputs, batch_size=args.batch_size).numpy().astype(np.float32)
    write_embeddings(out, embeddings, names)
    data = {"out": str(out), "n": int(embeddings.shape[0]), "dim": int(embeddings.shape[1])}
    emit(args, data, f"wrote {embeddings.shape[0]} embeddings of dimension {embeddings.shape[1]} "
                     f"to {out}")
    return 0


def write_embeddings(out: Path, embeddings: np.ndarray, names: list[str]) -> Path:
    """Write atomically: a failed run never leaves half a file."""
    with atomic_path(out) as tmp:
        if out.suffix.lower() == ".npy":
            with open(tmp, "wb") as fh:
                np.save(fh, embeddings, allow_pickle=False)
        else:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(["input"] + [f"e{i}" for i in range(embeddings.shape[1])])
                for name, row in zip(names, embeddings):
                    writer.writerow([name] + [f"{v:.7g}" for v in row])
    return out
