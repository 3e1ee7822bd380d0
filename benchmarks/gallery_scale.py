"""Benchmark: galleries past exact search. Flat, IVF-PQ, HNSW-SQ8, SQ8, binary and Milvus Lite
in one run: queries/s, recall@1 against exact search, bytes per reference, enrollment throughput
and build time, and the gallery's overhead over the raw engine searching the same index.

Two kinds of data:

* synthetic, for scale (``--sizes``, default 1M): 128-d clustered vectors, ``n / 1000`` cluster
  centres drawn from N(0, I), each reference a centre plus N(0, 0.35^2 I) noise, cosine scores
  (vectors L2-normalised); 500 queries drawn the same way (fresh points, not copies of
  references). Ground truth: FAISS's exact ``IndexFlatIP``.
* real: embeddings of MNIST digits by a small MLP (784-256-128) trained here for two epochs with
  a supervised contrastive loss (SupCon, Khosla et al. 2020); the 10,000 test digits are the references, 2,000 training digits the
  queries. Recall@1 against exact search and the accuracy of the top-1 label show what int8 and
  binary codes cost.

Each gallery keeps float16 vectors in SQLite for re-ranking (``rerank`` candidates rescored
exactly); "memory" is the serialised FAISS index per reference, "disk" the SQLite file per
reference. The raw engine is the very FAISS index the gallery built, searched directly with the
same settings and no re-ranking; overhead = gallery (rerank 0) time / raw time - 1.
Milvus Lite (pymilvus + milvus-lite, a local file) is measured as a raw engine up to
``--milvus-max`` references: inserts are slow, see the JSON.

    PYTHONPATH=src nice -n 10 python benchmarks/gallery_scale.py --sizes 1e6
    PYTHONPATH=src python benchmarks/gallery_scale.py --quick     # 20k references, seconds

Results go to benchmarks/results/gallery_scale.json, with the load average before and after:
timings from a machine where others are working are low and noisy.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import torch

import siamkit as sk
from siamkit.gallery import Gallery

RESULTS = Path(__file__).resolve().parent / "results" / "gallery_scale.json"
DIM = 128
CHUNK = 100_000


def tiny_model(dim: int = DIM) -> sk.SiameseNetwork:
    """A cosine model with ``dim``-d embeddings; only its embedding size and distance matter."""
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("mlp", input_dim=4, embedding_dim=dim, hidden_dims=[8])
    return sk.SiameseNetwork(enc, distance="cosine", threshold=0.5).eval()


def clustered(n: int, seed: int, centres: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        out[start:stop] = centres[rng.integers(0, len(centres), stop - start)]
        out[start:stop] += 0.35 * rng.standard_normal((stop - start, DIM), dtype=np.float32)
    return out


def normalised(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float32).copy()
    faiss.normalize_L2(x)
    return x


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def exact_neighbours(refs: np.ndarray, queries: np.ndarray, repeats: int) -> tuple[np.ndarray, dict]:
    """Ground truth and the raw exact engine: FAISS IndexFlatIP on normalised vectors."""
    index = faiss.IndexFlatIP(DIM)
    t = time.perf_counter()
    for start in range(0, len(refs), CHUNK):
        index.add(normalised(refs[start:start + CHUNK]))
    add_s = time.perf_counter() - t
    q = normalised(queries)
    ids = index.search(q, 1)[1][:, 0]
    search_s = timed(lambda: index.search(q, 1), repeats)
    return ids, {"add_s": round(add_s, 3), "queries_per_s": round(len(q) / search_s, 1),
                 "bytes_per_reference": round(faiss.serialize_index(index).nbytes / len(refs), 1)}


def gallery_run(name: str, index: str, refs: np.ndarray, queries: np.ndarray, truth: np.ndarray,
                repeats: int, workdir: Path, labels: tuple | None = None, **options) -> dict:
    """Enroll ``refs`` into a gallery folder, time batched identification, compare with truth."""
    folder = workdir / name.replace(" ", "_").replace(",", "-")
    model = tiny_model(refs.shape[1])
    g = Gallery(model, folder, index=index, vectors=options.pop("vectors", "float16"), **options)
    t = time.perf_counter()
    for start in range(0, len(refs), CHUNK):
        stop = min(len(refs), start + CHUNK)
        g.enroll_many_embeddings([str(i) for i in range(start, stop)], refs[start:stop])
    enroll_s = time.perf_counter() - t
    stats = g.stats()
    rerank = g._options({})["rerank"]

    def ours(**kw):
        return g.identify_embeddings(queries, k=1, **kw)

    found = ours().candidate_reference_ids[:, 0] - 1  # gallery ids count from 1
    recall = float(np.mean(found == truth))
    raw_index = g._index.index
    from siamkit.gallery.factory import set_search_params

    def raw():  # the query normalisation counts on both sides
        q = normalised(queries)
        q = np.packbits(q > 0, axis=1) if g._index.binary else q
        set_search_params(raw_index, g.nprobe, g.ef_search)
        return raw_index.search(q, 1)

    ours(), raw(), ours(rerank=0)  # warm-up
    times = {"gallery": [], "gallery_no_rerank": [], "raw": []}
    for _ in range(repeats):  # alternated, so that a busy machine slows all alike
        times["gallery"].append(timed(ours, 1))
        times["gallery_no_rerank"].append(timed(lambda: ours(rerank=0), 1))
        times["raw"].append(timed(raw, 1))
    med = {key: statistics.median(v) for key, v in times.items()}
    row = {
        "name": name, "index": index, "factory": stats["factory"], "trained": stats["trained"],
        "references": len(refs), "queries": len(queries), "rerank": rerank,
        "nprobe": g.nprobe, "ef_search": g.ef_search, "vectors": g.vectors_,
        "recall_at_1": round(recall, 4),
        "queries_per_s": round(len(queries) / med["gallery"], 1),
        "queries_per_s_no_rerank": round(len(queries) / med["gallery_no_rerank"], 1),
        "raw_queries_per_s": round(len(queries) / med["raw"], 1),
        "overhead_vs_raw": round(med["gallery_no_rerank"] / med["raw"] - 1, 4),
        "enroll_s": round(enroll_s, 2),
        "enroll_per_s": round(len(refs) / enroll_s, 1),
        "memory_bytes_per_reference": round(stats["index_bytes"] / len(refs), 1),
    }
    if labels is not None:
        ref_labels, query_labels = labels
        row["top1_label_accuracy"] = round(float(np.mean(ref_labels[found] == query_labels)), 4)
        row["recall_at_1_no_rerank"] = round(float(np.mean(
            ours(rerank=0).candidate_reference_ids[:, 0] - 1 == truth)), 4)
    g.close()
    db = folder / "gallery.sqlite"
    row["disk_bytes_per_reference"] = round(db.stat().st_size / len(refs), 1)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"  {name:<26} recall@1 {row['recall_at_1']:.3f}  {row['queries_per_s']:>9,.0f} q/s "
          f"(raw {row['raw_queries_per_s']:,.0f}, overhead {row['overhead_vs_raw']:+.1%})  "
          f"{row['memory_bytes_per_reference']:>6.1f} B/ref in memory  enroll "
          f"{row['enroll_per_s']:,.0f}/s", flush=True)
    del g
    gc.collect()
    return row


def milvus_run(refs: np.ndarray, queries: np.ndarray, truth: np.ndarray, repeats: int,
               workdir: Path) -> dict:
    """Milvus Lite as a raw engine: insert, search, recall against exact search."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        return {"skipped": "pymilvus is not installed: pip install 'siamkit[milvus]'"}
    t = time.perf_counter()
    client = MilvusClient(str(workdir / "milvus.db"))
    startup_s = time.perf_counter() - t
    client.create_collection("refs", dimension=DIM, metric_type="IP", auto_id=False,
                             id_type="int", primary_field_name="id", vector_field_name="vector")
    t = time.perf_counter()
    for start in range(0, len(refs), 10_000):
        block = normalised(refs[start:start + 10_000])
        client.insert("refs", [{"id": start + i, "vector": v} for i, v in enumerate(block)])
    insert_s = time.perf_counter() - t
    q = normalised(queries).tolist()

    def search():
        return client.search("refs", data=q, limit=1, output_fields=[])

    found = np.array([hits[0]["id"] for hits in search()])
    search_s = timed(search, repeats)
    info = client.describe_index("refs", client.list_indexes("refs")[0])
    client.close()
    row = {"name": "Milvus Lite", "references": len(refs), "queries": len(queries),
           "index": info.get("index_type"), "metric": info.get("metric_type"),
           "startup_s": round(startup_s, 2), "insert_s": round(insert_s, 2),
           "enroll_per_s": round(len(refs) / insert_s, 1),
           "queries_per_s": round(len(queries) / search_s, 1),
           "recall_at_1": round(float(np.mean(found == truth)), 4),
           "disk_bytes_per_reference": round(sum(
               f.stat().st_size for f in workdir.glob("milvus.db*") if f.is_file())
               / len(refs), 1)}
    print(f"  {'Milvus Lite (raw)':<26} recall@1 {row['recall_at_1']:.3f}  "
          f"{row['queries_per_s']:>9,.0f} q/s  insert {row['enroll_per_s']:,.0f}/s, startup "
          f"{row['startup_s']} s", flush=True)
    return row


def synthetic(n: int, args, workdir: Path) -> dict:
    centres = np.random.default_rng(1).standard_normal((max(10, n // 1000), DIM)).astype(np.float32)
    refs, queries = clustered(n, 2, centres), clustered(args.queries, 3, centres)
    truth, flat_raw = exact_neighbours(refs, queries, args.repeats)
    # ~n/1000 cells (fewer than FAISS's usual 4 sqrt(n)): k-means on 256 points per cell then
    # takes minutes, not hours, on a shared two-core machine.
    nlist = args.nlist or max(64, min(4096, n // 1000 // 64 * 64))
    print(f"{n:,} references: exact flat raw {flat_raw['queries_per_s']:,.0f} q/s", flush=True)
    rows = [gallery_run("Flat", "Flat", refs, queries, truth, args.repeats, workdir,
                        vectors="none")]
    rows.append(gallery_run(f"IVF{nlist},PQ32", f"IVF{nlist},PQ32", refs, queries, truth,
                            args.repeats, workdir, nprobe=args.nprobe, rerank=args.rerank))
    if n <= args.hnsw_max:
        rows.append(gallery_run("HNSW32,SQ8", "HNSW32,SQ8", refs, queries, truth, args.repeats,
                                workdir, ef_search=args.ef_search, rerank=args.rerank))
    if n <= args.milvus_max:
        rows.append(milvus_run(refs, queries, truth, args.repeats, workdir))
    flat, pq = rows[0], rows[1]
    speedup = pq["queries_per_s"] / flat["queries_per_s"]
    memory = pq["memory_bytes_per_reference"] / flat["memory_bytes_per_reference"]
    return {"references": n, "dim": DIM, "clusters": len(centres), "queries": args.queries,
            "exact_raw": flat_raw, "rows": rows,
            "ivfpq_vs_flat": {"speedup": round(speedup, 2), "memory_ratio": round(memory, 4),
                              "recall_at_1": pq["recall_at_1"],
                              "target_met": bool(speedup >= 50 and pq["recall_at_1"] >= 0.95
                                                 and memory <= 1 / 8)}}


def mnist_embeddings(data_dir: str | None, epochs: int) -> tuple:
    """A small MLP trained with SupCon; embeddings of test (refs) and train digits."""
    from siamkit.data import load_dataset
    from siamkit.losses import SupConLoss

    train, test = load_dataset("mnist", "train", data_dir), load_dataset("mnist", "test", data_dir)
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("mlp", input_dim=784, embedding_dim=DIM, hidden_dims=[256])
    loss_fn, opt = SupConLoss(temperature=0.1), torch.optim.Adam(enc.parameters(), 1e-3)
    x, y = train.x.reshape(len(train.x), -1).float() / 255.0, torch.as_tensor(train.y)
    g = torch.Generator().manual_seed(0)
    t = time.perf_counter()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(256):
            opt.zero_grad()
            loss_fn(enc(x[idx]), y[idx]).backward()
            opt.step()
    train_s = time.perf_counter() - t
    with torch.no_grad():
        refs = enc(test.x.reshape(len(test.x), -1).float() / 255.0).numpy()
        queries = enc(x[:2000]).numpy()
    return refs, queries, np.asarray(test.y), np.asarray(y[:2000]), train_s


def mnist(args, workdir: Path) -> dict:
    try:
        refs, queries, ref_labels, query_labels, train_s = mnist_embeddings(args.data_dir,
                                                                            args.epochs)
    except Exception as exc:  # no MNIST files here: say so in the JSON
        return {"skipped": f"MNIST unavailable ({str(exc).splitlines()[0][:160]})"}
    truth, flat_raw = exact_neighbours(refs, queries, args.repeats)
    labels = (ref_labels, query_labels)
    print(f"MNIST: {len(refs):,} test-digit embeddings, {len(queries):,} queries", flush=True)
    rows = []
    for name, index, kw in [("Flat float32", "Flat", {"vectors": "float32"}),
                            ("SQ8 (int8)", "SQ8", {}), ("HNSW32,SQ8", "HNSW32,SQ8", {}),
                            ("IVF64,PQ32", "IVF64,PQ32", {"nprobe": 16}),
                            ("IVF64,PQ32 no vectors", "IVF64,PQ32",
                             {"nprobe": 16, "vectors": "none"}),
                            ("binary (1 bit/dim)", "binary", {})]:
        rows.append(gallery_run(name, index, refs, queries, truth, args.repeats, workdir,
                                labels=labels, **kw))
    return {"references": len(refs), "queries": len(queries), "model_train_s": round(train_s, 1),
            "model": f"mlp 784-256-{DIM}, SupCon (temperature 0.1), {args.epochs} epochs",
            "exact_raw": flat_raw, "rows": rows}


def main(argv: list[str] | None = None) -> dict:
    from _machine import command_line, load_average, machine_info

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1e6",
                        help="comma-separated reference counts, e.g. 1e6,1e7 (default 1e6)")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--nlist", type=int, help="IVF cells (default ~sqrt(n), multiple of 64)")
    parser.add_argument("--nprobe", type=int, default=16)
    parser.add_argument("--ef-search", type=int, default=64)
    parser.add_argument("--rerank", type=int, default=32)
    parser.add_argument("--hnsw-max", type=float, default=1e6, help="largest size built as HNSW")
    parser.add_argument("--milvus-max", type=float, default=2e5,
                        help="largest size inserted into Milvus Lite")
    parser.add_argument("--epochs", type=int, default=2, help="MNIST model training epochs")
    parser.add_argument("--data-dir", help="folder holding mnist/ (default: $SIAMKIT_DATA)")
    parser.add_argument("--no-mnist", action="store_true")
    parser.add_argument("--quick", action="store_true", help="20k references, 200 queries")
    parser.add_argument("--threads", type=int, default=1,
                        help="FAISS (OpenMP) and torch threads (default 1: on a shared machine "
                             "OpenMP's spinning threads slow everyone)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    if args.quick:
        args.sizes, args.queries, args.repeats, args.epochs = "2e4", 200, 2, 1
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    load_before = load_average()
    result = {"command": command_line("benchmarks/gallery_scale.py", argv),
              "machine": machine_info(), "threads": args.threads, "synthetic": [],
              "quick": bool(args.quick)}
    with tempfile.TemporaryDirectory(prefix="gallery_scale_") as tmp:
        for n in sizes:
            workdir = Path(tmp) / str(n)
            workdir.mkdir()
            result["synthetic"].append(synthetic(n, args, workdir))
        if not args.no_mnist:
            workdir = Path(tmp) / "mnist"
            workdir.mkdir()
            result["mnist"] = mnist(args, workdir)
    result["load_average_1min"] = {"before": load_before, "after": load_average()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main()
