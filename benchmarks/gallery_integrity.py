"""Benchmark: what verifying a gallery costs, beside the open without it, in the same run.

A gallery of ``--sizes`` references (128-dim random embeddings, cosine scores, one reference per
identity) is enrolled into a folder and closed (the index saved). Then, alternated run by run,
median of ``--repeats``:

  open, verified    Gallery(model, folder): the cheap row checks, ids, and every index vector
                    hashed against the checksums in SQLite (siamkit.gallery.integrity)
  open, unverified  the same open with the vector check switched off, as it was before it
  full check        siamkit.gallery.check.check_gallery (SQLite integrity_check, every stored
                    embedding decoded and re-hashed, the index against the database)

and the checksums of all the vectors alone (8-byte BLAKE2b per row, as enrollment computes them).
Results go to benchmarks/results/gallery_integrity.json.

    PYTHONPATH=src python benchmarks/gallery_integrity.py            # 10k and 100k references
    PYTHONPATH=src python benchmarks/gallery_integrity.py --quick    # 2k (seconds)

Timings from a machine where others are working are not to be trusted; re-run on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import command_line, load_average, machine_info  # noqa: E402

import siamkit as sk  # noqa: E402
from siamkit.gallery import Gallery  # noqa: E402
from siamkit.gallery import persist  # noqa: E402
from siamkit.gallery.check import check_gallery  # noqa: E402
from siamkit.gallery.integrity import vector_checksums  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "gallery_integrity.json"
DIM = 128


def tiny_model() -> sk.SiameseNetwork:
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("mlp", input_dim=4, embedding_dim=DIM, hidden_dims=[8])
    return sk.SiameseNetwork(enc, distance="cosine", threshold=0.5).eval()


def _open(folder: Path, model, verified: bool) -> float:
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a rebuild would time something else
        if verified:
            g = Gallery(model, folder)
        else:
            with mock.patch.object(persist, "index_mismatch", lambda index, conn: None):
                g = Gallery(model, folder)
    elapsed = time.perf_counter() - t
    g.close()  # rewrites the same index, outside the timing
    return elapsed


def run_size(n: int, repeats: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    refs = rng.standard_normal((n, DIM), dtype=np.float32)
    model = tiny_model()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "g"
        g = Gallery(model, folder)
        for start in range(0, n, 100_000):
            stop = min(n, start + 100_000)
            g.enroll_many_embeddings([f"p{i}" for i in range(start, stop)], refs[start:stop])
        g.close()
        verified, unverified = [], []
        for _ in range(repeats):
            verified.append(_open(folder, model, True))
            unverified.append(_open(folder, model, False))
        t = time.perf_counter()
        report = check_gallery(folder, model)
        full = time.perf_counter() - t
    stored = refs / np.linalg.norm(refs, axis=1, keepdims=True)
    t = time.perf_counter()
    vector_checksums(stored)
    ours = time.perf_counter() - t
    v, u = statistics.median(verified), statistics.median(unverified)
    return {"references": n, "dim": DIM, "open_verified_s": round(v, 4),
            "open_unverified_s": round(u, 4), "open_ratio": round(v / u, 3),
            "verify_cost_ms_per_100k": round(1e3 * (v - u) * 100_000 / n, 1),
            "full_check_s": round(full, 3), "full_check_ok": report["ok"],
            "checksum_s": round(ours, 4)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="references (default 10k 100k)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2k references (seconds)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats = args.sizes or [2000], 3
    args.sizes = args.sizes or [10_000, 100_000]
    before = load_average()
    rows = []
    for n in args.sizes:
        row = run_size(n, args.repeats)
        print(f"{n:>8} refs: open {row['open_verified_s']:.3f} s verified vs "
              f"{row['open_unverified_s']:.3f} s not ({row['open_ratio']}x); full check "
              f"{row['full_check_s']} s; checksums alone {row['checksum_s']} s", flush=True)
        rows.append(row)
    result = {"benchmark": "gallery_integrity", "quick": args.quick, "rows": rows,
              "load_average_1min_before": before, **machine_info(),
              "command": command_line("benchmarks/gallery_integrity.py", argv)}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
