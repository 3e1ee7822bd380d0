"""Where the kjv benchmark's default model misses (the analysis in kjv_duplicates_ablation.md).

Trains the default recipe of ``kjv_duplicates.py`` with 1 torch thread (the same weights as its
result run) and reports test Recall@1 for queries with and without out-of-vocabulary words, the
misses whose retrieved verse has the very same WEB text, and Recall@1 among validation-sized pools
(each query against its own verse and 2,295 random others, 5 seeded draws) to separate the pool
size (validation ranks among 2,296 verses, test among 7,950) from the New Testament's domain shift.
It reads test results for reporting only; nothing here chooses a setting.

    SIAMKIT_DATA=... PYTHONPATH=src python benchmarks/kjv_error_analysis.py
    SIAMKIT_DATA=... PYTHONPATH=src python benchmarks/kjv_error_analysis.py --quick   # smoke run
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent


def load_benchmark():
    spec = importlib.util.spec_from_file_location("kjv_duplicates_benchmark", HERE / "kjv_duplicates.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def analyse(sims: np.ndarray, has_oov: np.ndarray, references: list[str], pool: int,
            draws: int = 5, seed: int = 0) -> dict:
    """Misses of the cosine matrix ``sims [n, n]`` (query i's answer is reference i): Recall@1
    overall, with and without out-of-vocabulary words, misses whose retrieved reference has the
    answer's very text, and Recall@1 among random pools of ``pool`` references (answer included)."""
    n = len(sims)
    top = sims.argmax(1)
    miss = top != np.arange(n)
    same_text = np.array([references[t] == references[i] for i, t in enumerate(top.tolist())])
    gen = np.random.default_rng(seed)
    found = []
    for _ in range(draws):
        hits = 0
        for i in range(n):
            others = gen.choice(n - 1, pool - 1, replace=False)
            others = others + (others >= i)
            hits += sims[i, i] > sims[i, others].max()
        found.append(hits / n)
    return {"queries": n, "recall_at_1": float(1 - miss.mean()), "misses": int(miss.sum()),
            "misses_retrieving_identical_web_text": int((miss & same_text).sum()),
            "queries_with_oov_word": int(has_oov.sum()),
            "recall_at_1_with_oov_word": float(1 - miss[has_oov].mean()) if has_oov.any() else None,
            "recall_at_1_without_oov_word":
                float(1 - miss[~has_oov].mean()) if (~has_oov).any() else None,
            "val_pool": pool, "recall_at_1_among_val_sized_pools": float(np.mean(found))}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny slice, for the smoke test")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    kb = load_benchmark()
    torch.set_num_threads(1)
    cfg = kb.Config(**(kb.QUICK if args.quick else {}))
    splits = kb.load_splits(os.environ.get("SIAMKIT_DATA"), cfg, args.quick)
    model = kb.build_model(cfg, list(splits["train"].x1) + list(splits["train"].x2))
    kb.train(model, cfg, splits["train"], splits["val"], progress=False)
    model.eval()
    task = splits["task"]
    q, r = model.encode(task.queries), model.encode(task.references)
    sims = (q @ r.T).numpy()  # unit vectors: cosine
    tok = model.adapter.tokenizer
    vocab = set(tok.vocab_)
    has_oov = np.array([any(t not in vocab for t in tok.tokenize(a) + tok.tokenize(b))
                        for a, b in zip(task.queries, task.references)])
    pool = min(len(splits["val"]), len(sims))
    out = analyse(sims, has_oov, list(task.references), pool)
    name = "kjv_error_analysis-quick.json" if args.quick else "kjv_error_analysis.json"
    (args.output or HERE / "results" / name).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
