"""Benchmark: galleries past exact search. Flat, IVF-PQ, HNSW-SQ8, SQ8, binary and Milvus Lite
in one run: queries/s, recall@1 against exact search, bytes per reference, enrollment throughput
and build time, and the gallery's overhead over the raw engine searching the same index.

Two kinds of data:

* synthetic, for scale (``--sizes``, default 1M): 128-d clustered vectors, ``n / 1000`` cluster
  centres drawn from N(0, I), each reference a centre plus N(0, 0.35^2 I) noise, cosine scores
  (vectors L2-normalised). Ground truth: FAISS's exact ``IndexFlatIP``. Two kinds of query
  (``--probes``):

  - ``fresh`` (default): 500 points drawn as the references are, not copies of any. The exact
    nearest reference is then one of ~1,000 members of the query's cluster that all lie at
    nearly the same distance (in 128-d the distances of isotropic noise concentrate: the nearest
    is a few percent closer than the next), so recall@1 measures how finely an index resolves
    near-ties.
  - ``enrolled``: each query a randomly chosen reference plus N(0, 0.2^2 I) noise, a second
    sample of something enrolled, as a gallery's probes are (the face or signature of an
    enrolled identity); the exact nearest reference is then usually its source, clearly closer
    than the rest of its cluster.
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
import ctypes
import gc
import json
import os
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
EXACT_BLOCK = 1_000_000
PROBE_NOISE = 0.2  # --probes enrolled: a query is a reference plus N(0, 0.2^2 I) (clusters: 0.35)


def tiny_model(dim: int = DIM) -> sk.SiameseNetwork:
    """A cosine model with ``dim``-d embeddings; only its embedding size and distance matter."""
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("mlp", input_dim=4, embedding_dim=dim, hidden_dims=[8])
    return sk.SiameseNetwork(enc, distance="cosine", threshold=0.5).eval()


def clustered(n: int, seed: int, centres: np.ndarray, file: Path | None = None) -> np.ndarray:
    """``n`` clustered vectors, in memory or (``file``) in a memory-mapped .npy on disk, so that
    10M x 128 float32 (5.1 GB) sit in the page cache, not in this process's own memory twice."""
    rng = np.random.default_rng(seed)
    out = (np.empty((n, DIM), dtype=np.float32) if file is None else
           np.lib.format.open_memmap(file, mode="w+", dtype=np.float32, shape=(n, DIM)))
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


def rss_bytes() -> int:
    """This process's resident memory now, after returning freed heap to the system."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def exact_neighbours(refs: np.ndarray, queries: np.ndarray, repeats: int) -> tuple[np.ndarray, dict]:
    """Ground truth and the raw exact engine: FAISS IndexFlatIP on normalised vectors, over the
    references in blocks of EXACT_BLOCK (one block in memory at a time), best of the blocks kept;
    the timing covers building and searching every block, as a flat scan over data that does not
    fit in memory must."""
    q = normalised(queries)

    def search():
        best = np.full(len(q), -np.inf, dtype=np.float32)
        ids = np.zeros(len(q), dtype=np.int64)
        for start in range(0, len(refs), EXACT_BLOCK):
            index = faiss.IndexFlatIP(DIM)
            index.add(normalised(refs[start:start + EXACT_BLOCK]))
            d, i = index.search(q, 1)
            better = d[:, 0] > best
            best[better], ids[better] = d[better, 0], i[better, 0] + start
        return ids

    t = time.perf_counter()
    ids = search()
    first_s = time.perf_counter() - t
    search_s = min(first_s, timed(search, repeats - 1)) if repeats > 1 else first_s
    return ids, {"queries_per_s": round(len(q) / search_s, 2), "blocks": EXACT_BLOCK,
                 "note": "IndexFlatIP per block of references, data memory-mapped from disk",
                 "bytes_per_reference": 4 * DIM}


def gallery_run(name: str, index: str, refs: np.ndarray, queries: np.ndarray, truth: np.ndarray,
                repeats: int, workdir: Path, labels: tuple | None = None,
                sweep: list | None = None, **options) -> dict:
    """Enroll ``refs`` into a gallery folder, time batched identification, compare with truth.
    ``sweep``: (nprobe or ef_search, rerank) points searched once each, for a recall/qps curve."""
    folder = workdir / name.replace(" ", "_").replace(",", "-")
    model = tiny_model(refs.shape[1])
    rss_before = rss_bytes()
    g = Gallery(model, folder, index=index, vectors=options.pop("vectors", "float16"), **options)
    t = time.perf_counter()
    for start in range(0, len(refs), CHUNK):
        stop = min(len(refs), start + CHUNK)
        g.enroll_many_embeddings([str(i) for i in range(start, stop)], refs[start:stop])
    enroll_s = time.perf_counter() - t
    # Not g.stats(): it serialises the index to count its bytes, a second 5 GB copy at 10M flat.
    factory, trained = g._index.factory_, g._index.trained
    rss_delta = rss_bytes() - rss_before
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
    curve = []
    for knob, rr in sweep or []:
        kw = {"ef_search": knob} if g._index.binary is False and "HNSW" in index else {"nprobe": knob}
        t = time.perf_counter()
        hit = ours(rerank=rr, **kw).candidate_reference_ids[:, 0] - 1
        elapsed = time.perf_counter() - t
        curve.append({**kw, "rerank": rr, "recall_at_1": round(float(np.mean(hit == truth)), 4),
                      "queries_per_s": round(len(queries) / elapsed, 1)})
        print(f"    sweep {kw} rerank {rr}: recall@1 {curve[-1]['recall_at_1']:.3f} "
              f"{curve[-1]['queries_per_s']:,.0f} q/s", flush=True)
    row = {
        "name": name, "index": index, "factory": factory, "trained": trained,
        "references": len(refs), "queries": len(queries), "rerank": rerank,
        "nprobe": g.nprobe, "ef_search": g.ef_search, "vectors": g.vectors_,
        "recall_at_1": round(recall, 4),
        "queries_per_s": round(len(queries) / med["gallery"], 1),
        "queries_per_s_no_rerank": round(len(queries) / med["gallery_no_rerank"], 1),
        "raw_queries_per_s": round(len(queries) / med["raw"], 1),
        "overhead_vs_raw": round(med["gallery_no_rerank"] / med["raw"] - 1, 4),
        "enroll_s": round(enroll_s, 2),
        "enroll_per_s": round(len(refs) / enroll_s, 1),
        "process_memory_bytes_per_reference": round(rss_delta / len(refs), 1),
        "load_average_1min": round(os.getloadavg()[0], 2),  # others share the machine
    }
    if curve:
        row["curve"] = curve
    if labels is not None:
        ref_labels, query_labels = labels
        row["top1_label_accuracy"] = round(float(np.mean(ref_labels[found] == query_labels)), 4)
        row["recall_at_1_no_rerank"] = round(float(np.mean(
            ours(rerank=0).candidate_reference_ids[:, 0] - 1 == truth)), 4)
    g.close()
    row["memory_bytes_per_reference"] = round((folder / "index.faiss").stat().st_size / len(refs), 1)
    db = folder / "gallery.sqlite"
    row["disk_bytes_per_reference"] = round(db.stat().st_size / len(refs), 1)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"  {name:<26} recall@1 {row['recall_at_1']:.3f}  {row['queries_per_s']:>9,.0f} q/s "
          f"(raw {row['raw_queries_per_s']:,.0f}, overhead {row['overhead_vs_raw']:+.1%})  "
          f"{row['memory_bytes_per_reference']:>6.1f} B/ref index "
          f"({row['process_memory_bytes_per_reference']:.0f} B/ref process)  enroll "
          f"{row['enroll_per_s']:,.0f}/s in {row['enroll_s']:.0f} s", flush=True)
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
    on_disk = n > args.memmap_above
    t = time.perf_counter()
    refs = clustered(n, 2, centres, workdir / "refs.npy" if on_disk else None)
    if args.probes == "enrolled":
        rng = np.random.default_rng(3)
        queries = np.asarray(refs[np.sort(rng.choice(n, args.queries, replace=False))])
        queries += PROBE_NOISE * rng.standard_normal(queries.shape, dtype=np.float32)
    else:
        queries = clustered(args.queries, 3, centres)
    make_s = time.perf_counter() - t
    truth, flat_raw = exact_neighbours(refs, queries, args.repeats)
    # FAISS's advice is 4 sqrt(n) cells; --nlist below that where k-means and the assignment of
    # every reference to its cell (n x nlist distances) would not fit the session, see the JSON.
    nlist = args.nlist or max(64, int(4 * n ** 0.5) // 64 * 64)
    print(f"{n:,} references (made in {make_s:.0f} s{', memory-mapped' if on_disk else ''}): "
          f"exact flat raw {flat_raw['queries_per_s']:,.1f} q/s", flush=True)
    fq = min(len(queries), args.flat_queries or len(queries))
    rows = [gallery_run("Flat", "Flat", refs, queries[:fq], truth[:fq], args.repeats, workdir)]
    sweep = [(p, r) for p in (4, 8, 16, 32, 64) for r in (0, 50, 100, 200, 400)]
    pq_spec = args.ivf.format(nlist=nlist)
    rows.append(gallery_run(pq_spec, pq_spec, refs, queries, truth, args.repeats, workdir,
                            nprobe=args.nprobe, rerank=args.rerank, sweep=sweep))
    skipped = {}
    if n <= args.hnsw_max:
        rows.append(gallery_run("HNSW32,SQ8", "HNSW32,SQ8", refs, queries, truth, args.repeats,
                                workdir, ef_search=args.ef_search, rerank=args.rerank,
                                sweep=[(e, r) for e in (16, 32, 64, 128) for r in (0, 100)]))
    else:
        skipped["HNSW32,SQ8"] = f"not built above --hnsw-max {args.hnsw_max:g}: see enroll_per_s"
    if n <= args.milvus_max:
        mq = min(len(queries), args.milvus_queries or len(queries))
        rows.append(milvus_run(refs, queries[:mq], truth[:mq], args.repeats, workdir))
    else:
        skipped["Milvus Lite"] = f"not inserted above --milvus-max {args.milvus_max:g}"
    flat, pq = rows[0], rows[1]
    speedup = pq["queries_per_s"] / flat["queries_per_s"]
    memory = pq["memory_bytes_per_reference"] / flat["memory_bytes_per_reference"]
    best = [dict(c, speedup=round(c["queries_per_s"] / flat["queries_per_s"], 2))
            for c in pq["curve"] if c["recall_at_1"] >= 0.95]
    best = max(best, key=lambda c: c["queries_per_s"]) if best else None
    del refs
    (workdir / "refs.npy").unlink(missing_ok=True)
    return {"references": n, "dim": DIM, "clusters": len(centres), "probes": args.probes,
            "queries": args.queries,
            "flat_queries": fq, "nlist": nlist, "make_s": round(make_s, 1),
            "memory_mapped": on_disk, "exact_raw": flat_raw, "rows": rows, "skipped": skipped,
            "ivfpq_vs_flat": {"speedup": round(speedup, 2), "memory_ratio": round(memory, 4),
                              "process_memory_ratio": round(
                                  pq["process_memory_bytes_per_reference"]
                                  / flat["process_memory_bytes_per_reference"], 4),
                              "recall_at_1": pq["recall_at_1"],
                              "fastest_at_recall_0_95": best,
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
    parser.add_argument("--probes", choices=("fresh", "enrolled"), default="fresh",
                        help="synthetic queries: fresh cluster points, or noisy copies of "
                             "enrolled references (see the module docstring)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--nlist", type=int, help="IVF cells (default 4 sqrt(n), multiple of 64)")
    parser.add_argument("--ivf", default="IVF{nlist},PQ32",
                        help="IVF-PQ factory string, {nlist} filled in (default IVF{nlist},PQ32)")
    parser.add_argument("--nprobe", type=int, default=16)
    parser.add_argument("--ef-search", type=int, default=64)
    parser.add_argument("--rerank", type=int, default=200)
    parser.add_argument("--flat-queries", type=int,
                        help="queries timed on the flat gallery (default all; a rate is a rate)")
    parser.add_argument("--milvus-queries", type=int, help="queries timed on Milvus Lite")
    parser.add_argument("--memmap-above", type=float, default=2e6,
                        help="references kept in a memory-mapped file above this many")
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
    parser.add_argument("--append", action="store_true",
                        help="add these sizes to the results already in --output (their own "
                             "command and load average kept beside them) instead of replacing it")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temporary one)")
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
    earlier = (json.loads(args.output.read_text(encoding="utf-8"))
               if args.append and args.output.is_file() else None)
    if earlier:  # one size per run: each keeps the command and load average it ran under
        result["earlier_runs"] = earlier.pop("earlier_runs", []) + [
            {k: earlier[k] for k in ("command", "threads", "load_average_1min") if k in earlier}
            | {"sizes": [s["references"] for s in earlier.get("synthetic", [])]}]
        for size in earlier.get("synthetic", []):
            size.setdefault("command", earlier.get("command"))
            size.setdefault("load_average_1min", earlier.get("load_average_1min"))
        result["synthetic"] = [s for s in earlier.get("synthetic", [])
                               if s["references"] not in sizes
                               or s.get("probes", "fresh") != args.probes]
        if args.no_mnist and "mnist" in earlier:
            result["mnist"] = earlier["mnist"]
    with tempfile.TemporaryDirectory(prefix="gallery_scale_", dir=args.workdir) as tmp:
        if not args.no_mnist:  # first: seconds, and kept if a large size is stopped
            workdir = Path(tmp) / "mnist"
            workdir.mkdir()
            result["mnist"] = mnist(args, workdir)
        for n in sizes:
            workdir = Path(tmp) / str(n)
            workdir.mkdir()
            result["synthetic"].append(synthetic(n, args, workdir))
            result["synthetic"][-1]["command"] = result["command"]
            result["synthetic"][-1]["load_average_1min"] = {"before": load_before,
                                                            "after": load_average()}
            result["load_average_1min"] = {"before": load_before, "after": load_average()}
            args.output.parent.mkdir(parents=True, exist_ok=True)  # each size saved as done
            args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    result["load_average_1min"] = {"before": load_before, "after": load_average()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main()
