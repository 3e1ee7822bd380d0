"""Benchmark: Gallery.identify beside raw FAISS on the same vectors, in the same run.

For galleries of 10k, 100k and 1M references (128-dim random embeddings, one reference per
identity, cosine scores), both sides search the same normalised vectors with an exact
inner-product index:

  raw FAISS  faiss.IndexFlatIP.search(queries, k)
  gallery    Gallery.identify_embeddings(queries, k): FAISS search + mapping references to
             identities + ranking + the open-set decision, answers as arrays

Batched: ``--batch`` queries per call, the two sides alternated call by call, median of
``--repeats`` calls. Single: one query per call, median over ``--singles`` calls. The figure to
watch is ``batched_overhead`` = gallery / raw - 1 (target: under 0.20). Enrollment time (bulk,
SQLite + FAISS) is reported beside a raw FAISS add. Results go to benchmarks/results/gallery.json.

    PYTHONPATH=src python benchmarks/gallery.py            # 10k, 100k, 1M (a few minutes, ~3 GB)
    PYTHONPATH=src python benchmarks/gallery.py --quick    # 2k references (seconds)

Timings from a machine where others are working are not to be trusted; re-run on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import faiss
import numpy as np
import torch

import siamkit as sk
from siamkit.gallery import Gallery

RESULTS = Path(__file__).resolve().parent / "results" / "gallery.json"
DIM = 128


def tiny_model() -> sk.SiameseNetwork:
    """A model whose embeddings are 128-dim; only its embedding size and distance matter here."""
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("mlp", input_dim=4, embedding_dim=DIM, hidden_dims=[8])
    return sk.SiameseNetwork(enc, distance="cosine", threshold=0.5).eval()


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run_size(n: int, batch: int, k: int, repeats: int, singles: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    refs = rng.standard_normal((n, DIM), dtype=np.float32)
    noise = rng.standard_normal((batch, DIM), dtype=np.float32)
    queries = refs[rng.integers(0, n, batch)] + 0.3 * noise

    gallery = Gallery(tiny_model())
    t = time.perf_counter()
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        gallery.enroll_many_embeddings([f"person{i}" for i in range(start, stop)], refs[start:stop])
    gallery_add = time.perf_counter() - t

    normed = refs.copy()
    faiss.normalize_L2(normed)
    raw = faiss.IndexFlatIP(DIM)
    t = time.perf_counter()
    raw.add(normed)
    raw_add = time.perf_counter() - t

    def raw_search(q):
        q = np.ascontiguousarray(q, dtype=np.float32).copy()
        faiss.normalize_L2(q)  # the gallery normalises its queries too
        return raw.search(q, k)

    # Same answers, or the timing compares different work.
    ours = gallery.identify_embeddings(queries, k=k)
    _, raw_ids = raw_search(queries)
    agree = float(np.mean(ours.candidate_reference_ids == raw_ids + 1))  # gallery ids count from 1

    raw_search(queries), gallery.identify_embeddings(queries, k=k)  # warm-up
    raw_times, ours_times = [], []
    for _ in range(repeats):  # alternate, so that a busy machine slows both alike
        raw_times.append(_median_time(lambda: raw_search(queries), 1))
        ours_times.append(_median_time(lambda: gallery.identify_embeddings(queries, k=k), 1))
    raw_b, ours_b = statistics.median(raw_times), statistics.median(ours_times)

    raw_1, ours_1 = [], []
    for i in range(min(singles, batch)):  # alternated as well
        q = queries[i:i + 1]
        raw_1.append(_median_time(lambda: raw_search(q), 1))
        ours_1.append(_median_time(lambda: gallery.identify_embeddings(q, k=k), 1))
    raw_1, ours_1 = statistics.median(raw_1), statistics.median(ours_1)
    return {
        "references": n, "dim": DIM, "k": k, "batch": batch, "answers_agree": agree,
        "enroll_s": {"gallery": round(gallery_add, 3), "raw_faiss": round(raw_add, 4)},
        "batched": {"gallery_s": ours_b, "raw_faiss_s": raw_b,
                    "gallery_queries_per_s": round(batch / ours_b, 1),
                    "raw_queries_per_s": round(batch / raw_b, 1)},
        "batched_overhead": round(ours_b / raw_b - 1, 4),
        "single_query_ms": {"gallery": round(ours_1 * 1e3, 3), "raw_faiss": round(raw_1 * 1e3, 3)},
        "single_overhead": round(ours_1 / raw_1 - 1, 4),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        help="references (default 10k 100k 1M; quick 2k)")
    parser.add_argument("--batch", type=int, default=1000, help="queries per batched call")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--singles", type=int, default=100, help="single-query calls timed")
    parser.add_argument("--quick", action="store_true",
                        help="2k references, small batches (seconds)")
    parser.add_argument("--threads", type=int, help="FAISS (OpenMP) threads; default: FAISS's own")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    if args.quick:
        args.sizes, args.batch, args.repeats, args.singles = args.sizes or [2000], 200, 3, 20
    args.sizes = args.sizes or [10_000, 100_000, 1_000_000]
    rows = []
    for n in args.sizes:
        row = run_size(n, args.batch, args.k, args.repeats, args.singles)
        batched = row["batched"]
        print(f"{n:>9} refs: batched gallery {batched['gallery_queries_per_s']:>9} q/s, raw "
              f"{batched['raw_queries_per_s']:>9} q/s, overhead {row['batched_overhead']:+.1%}; "
              f"single {row['single_query_ms']['gallery']} ms vs "
              f"{row['single_query_ms']['raw_faiss']} ms", flush=True)
        rows.append(row)
    result = {"benchmark": "gallery_identify", "machine": platform.platform(),
              "cpus": os.cpu_count(), "faiss": faiss.__version__,
              "faiss_threads": faiss.omp_get_max_threads(), "target_overhead": 0.2,
              "quick": args.quick, "rows": rows}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
