"""``siamkit verify MODEL A B``: are two inputs the same? Prints the score, the threshold and the
decision (same iff score >= threshold; scores are higher = more similar).

For a text model an empty A or B is an error, and a text none of whose words the model knows
gets a warning and no decision: the model sees only unknown-word placeholders, so its score is
not evidence (:mod:`siamkit.text_checks`); the score is still printed."""

from __future__ import annotations

import argparse
from typing import Any

from ..inputs import read_one
from ..text_checks import knows_no_word
from ._common import (add_command, add_json_flag, add_runtime_flags, describe_threshold, emit,
                      load_model, score_meaning)

EXAMPLES = """\
  siamkit verify runs/faces/model alice_1.jpg alice_2.jpg
  siamkit verify runs/questions/model "How do I learn Python?" "What is the best way to learn Python?"
  siamkit verify runs/vectors/model a.npy b.npy --json
  siamkit verify runs/faces/model a.jpg b.jpg --threshold 0.8"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(subparsers, "verify", "decide whether two inputs are the same",
                    "Score two inputs with a trained model and decide same or different at the "
                    "model's calibrated threshold (same iff score >= threshold). A and B are image "
                    "paths for an image model, texts for a text model, vectors (.npy, .csv, or "
                    "comma-separated numbers) for a vector model. Exit status 0 either way.",
                    EXAMPLES)
    p.add_argument("model", help="model folder (config.json + model.safetensors)")
    p.add_argument("a", help="first input")
    p.add_argument("b", help="second input")
    p.add_argument("--threshold", type=float, help="decide at this score instead of the model's threshold")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    add_runtime_flags(p)
    add_json_flag(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model, args.device, args.runtime, args.threads)
    a, name_a = read_one(model, args.a, "A")
    b, name_b = read_one(model, args.b, "B")
    import torch

    with torch.no_grad():
        score = float(model.similarity(a, b)[0])
    threshold = args.threshold if args.threshold is not None else model.threshold
    info = {"rule": "given on the command line"} if args.threshold is not None else model.threshold_info
    blind = [w for w, x in (("A", args.a), ("B", args.b)) if knows_no_word(model, x)]
    same = None if threshold is None or blind else bool(score >= threshold)
    data = {"a": name_a, "b": name_b, "score": score, "score_kind": model.score_kind,
            "threshold": threshold, "threshold_info": info or None, "same": same}
    if blind:
        data["no_decision"] = f"{' and '.join(blind)}: no word the model knows"
    if threshold is None:
        lines = [f"score      {score:.6g}  ({score_meaning(model)}; higher = more similar)",
                 ("threshold  none: the model is not calibrated (train it with siamkit train, "
                  "or pass --threshold)"),
                 "decision   unknown"]
    else:
        lines = [f"score      {score:.6g}  ({score_meaning(model)}; higher = more similar)",
                 f"threshold  {threshold:.6g}  ({describe_threshold(info)})",
                 f"decision   {'same' if same else 'different'}" if same is not None else
                 f"decision   none: {data['no_decision']} (the score is not evidence)"]
    emit(args, data, "\n".join(lines))
    return 0
