"""``siamkit dedupe MODEL CORPUS``: the most similar pairs within one corpus (near duplicates).

As sentence-transformers' ``util.paraphrase_mining``, for any model (:func:`siamkit.paraphrase_mining`,
chunked so that memory stays bounded). The corpus is read by :mod:`._corpus` (texts, a pairs file's
distinct texts, images, vectors). Pairs at or above ``--threshold`` (default: the model's own
threshold, so the pairs it calls "same"; none for an uncalibrated model), highest score first, at
most ``--max-pairs``. Output: TSV ``score, i, j, a, b`` on stdout, or ``--out`` a .tsv or .json file.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

from ..atomic import atomic_path
from ..errors import ConfigError
from ..mining import paraphrase_mining
from ._common import add_command, add_json_flag, emit, json_ready, load_model
from ._corpus import read_corpus

EXAMPLES = """\
  siamkit dedupe runs/questions/model questions.txt
  siamkit dedupe runs/questions/model quora_pairs.tsv --threshold 0.9 --out duplicates.tsv
  siamkit dedupe runs/products/model catalog_photos/ --max-pairs 100 --json"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(subparsers, "dedupe", "find near-duplicate pairs within one corpus",
                    "Paraphrase mining: embed every entry of a corpus and list the pairs of "
                    "highest score (higher = more similar), at or above the threshold. Corpus: "
                    "text files (one per line), a CSV/TSV with a 'text' column or question1/"
                    "question2 pairs, image folders, or vector files.", EXAMPLES)
    p.add_argument("model", help="model folder (config.json + model.safetensors)")
    p.add_argument("corpus", nargs="+", help="corpus files or folders")
    p.add_argument("--threshold", type=float,
                   help="keep pairs with score >= this (default: the model's threshold)")
    p.add_argument("--all", action="store_true", help="no threshold: the top pairs whatever "
                                                       "their score")
    p.add_argument("--max-pairs", type=int, default=1000, help="pairs to report at most")
    p.add_argument("--top-k", type=int, default=100,
                   help="partners considered per entry (exact when >= corpus size - 1)")
    p.add_argument("--out", "-o", help="write the pairs to a .tsv or .json file")
    p.add_argument("--batch-size", type=int, default=256, help="inputs per forward pass")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    add_json_flag(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".tsv", ".json"):
        raise ConfigError(f"--out {out}: must end in .tsv or .json")
    for name in ("max_pairs", "top_k"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')}: must be >= 1")
    if args.all and args.threshold is not None:
        raise ConfigError("--all and --threshold: choose one")
    model = load_model(args.model, args.device)
    threshold = None if args.all else (args.threshold if args.threshold is not None
                                       else model.threshold)
    inputs, names = read_corpus(model, args.corpus)
    emb = model.encode(inputs, batch_size=args.batch_size)
    found = paraphrase_mining(emb, model.pairwise_scores, top_k=min(args.top_k, len(names)),
                              max_pairs=args.max_pairs, threshold=threshold)
    pairs = [{"score": s, "i": i, "j": j, "a": names[i], "b": names[j]} for s, i, j in found]
    if out is not None:
        _write(out, pairs)
    summary = (f"{len(pairs)} pair(s) among {len(names)} entries"
               + (f" with score >= {threshold:.4g}" if threshold is not None else "")
               + (f"; wrote {out}" if out else ""))
    rows = ["score\ti\tj\ta\tb"] + [f"{p['score']:.4f}\t{p['i']}\t{p['j']}\t{_cell(p['a'])}\t"
                                    f"{_cell(p['b'])}" for p in pairs]
    text = summary if out is not None else "\n".join(rows + [f"# {summary}"])
    emit(args, {"n_entries": len(names), "threshold": threshold,
                "score_kind": model.score_kind, "pairs": pairs,
                **({"out": str(out)} if out else {})}, text)
    return 0


def _cell(text: str) -> str:
    return " ".join(str(text).split())


def _write(out: Path, pairs: list[dict]) -> None:
    with atomic_path(out) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            if out.suffix.lower() == ".json":
                json.dump(json_ready(pairs), fh, indent=1, allow_nan=False)
                return
            writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
            writer.writerow(["score", "i", "j", "a", "b"])
            writer.writerows([f"{p['score']:.6g}", p["i"], p["j"], _cell(p["a"]), _cell(p["b"])]
                             for p in pairs)
