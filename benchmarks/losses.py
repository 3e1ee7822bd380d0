"""Benchmark: forward + backward time and peak memory of siamkit's batch losses beside
pytorch-metric-learning (PML) in the same run.

Triplet losses (128-dim embeddings, P x K labels with K = 4), the ``rows`` of the results:
  batch_hard     siamkit BatchHardTripletLoss  vs PML TripletMarginLoss + BatchHardMiner (mean)
  batch_all      siamkit BatchAllTripletLoss   vs PML TripletMarginLoss over all triplets
                                                  (AvgNonZeroReducer: mean over active triplets)
  hard_negative  siamkit HardNegativeTripletLoss vs PML BatchEasyHardMiner(easy, semihard) +
                 TripletMarginLoss on cosine similarity (the closest-negative term) plus the
                 mean-negative term in plain torch: the same value, PML doing the mining.

Softmax-family losses (the same embeddings and labels, 1,000 classes; see _softmax_losses.py), the
``softmax_rows``: arcface, cosface, subcenter_arcface, proxy_anchor, proxy_nca (the same class
weights or proxies in both, whose gradients are part of the backward pass), supcon and ntxent,
each against PML's loss of the same name and defaults. The issue's target for them: at least 2x
PML's speed at batch 4,096 with no more peak memory (``target_met``). For the class-weight losses
``floor_s`` times the three matrix products of their forward + backward alone, which bounds any
implementation's speed.

Peak memory: a fresh subprocess per (loss, implementation, batch) measures the rise of the
resident set during the first forward + backward (see _peak_memory.py). Time: a subprocess per
(loss, batch) alternates the two implementations call by call (after one warm-up each) and
reports the median of ``--repeats`` calls, so that a busy machine slows both alike. The peer's
loss value is checked against siamkit's (``abs_diff``). Results go to
benchmarks/results/losses.json.

    PYTHONPATH=src python benchmarks/losses.py            # 256, 1024, 4096 (minutes)
    PYTHONPATH=src python benchmarks/losses.py --quick    # a tiny in-process slice (seconds)
    PYTHONPATH=src python benchmarks/losses.py --losses arcface --sizes 4096   # a slice; the
                                    # other cases are kept from the JSON already there

Timings from a machine where others are working are not to be trusted; re-run on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peak_memory import peak_rise_mib
from _softmax_losses import (SOFTMAX_LOSSES, build_softmax, matmul_floor, N_CLASSES,
                             pml_skip_reason)

LOSSES = ("batch_hard", "batch_all", "hard_negative")
ALL_LOSSES = LOSSES + SOFTMAX_LOSSES
IMPLS = ("siamkit", "pml")
MARGIN = {"batch_hard": 0.3, "batch_all": 0.3, "hard_negative": 0.25}
DIM, K = 128, 4
RESULTS = Path(__file__).resolve().parent / "results" / "losses.json"


def build(loss: str, impl: str, batch: int, device: str = "cpu"):
    """``(fn, inputs)``: a callable returning the loss, and its leaf inputs (drawn on the CPU, so
    every device sees the same numbers, then moved to ``device``)."""
    import torch

    if loss in SOFTMAX_LOSSES:
        return build_softmax(loss, impl, batch, DIM, K, device)
    gen = torch.Generator().manual_seed(batch)
    if loss == "hard_negative":
        v1 = torch.randn(batch, DIM, generator=gen)
        inputs = [v1, v1 + torch.randn(batch, DIM, generator=gen)]
    else:
        inputs = [torch.randn(batch, DIM, generator=gen), torch.arange(batch) // K]
    inputs = [x.to(device) for x in inputs]
    inputs[0].requires_grad_()
    if loss == "hard_negative":
        inputs[1].requires_grad_()
    return (_siamkit if impl == "siamkit" else _pml)(loss), inputs


def _siamkit(loss: str):
    from siamkit import losses

    return {
        "batch_hard": losses.BatchHardTripletLoss(MARGIN["batch_hard"]),
        "batch_all": losses.BatchAllTripletLoss(MARGIN["batch_all"]),
        "hard_negative": losses.HardNegativeTripletLoss(MARGIN["hard_negative"]),
    }[loss]


def _pml(loss: str):
    import torch
    from pytorch_metric_learning import distances, losses, miners, reducers

    lp = distances.LpDistance(normalize_embeddings=False)
    if loss == "batch_hard":
        fn = losses.TripletMarginLoss(MARGIN[loss], distance=lp, reducer=reducers.MeanReducer())
        miner = miners.BatchHardMiner(distance=lp)
        return lambda emb, labels: fn(emb, labels, miner(emb, labels))
    if loss == "batch_all":
        return losses.TripletMarginLoss(MARGIN[loss], distance=lp)
    margin = MARGIN[loss]
    cos = distances.CosineSimilarity()
    closest = losses.TripletMarginLoss(margin, distance=cos, reducer=reducers.SumReducer())
    miner = miners.BatchEasyHardMiner("easy", "semihard", distance=cos)

    def hard_negative(v1, v2):
        ids = ref_ids = torch.arange(len(v1), device=v1.device)
        closest_sum = closest(v1, ids, miner(v1, ids, v2, ref_ids), v2, ref_ids)
        scores = cos(v1, v2)
        positive = scores.diagonal()
        mean_negative = (scores.sum(1) - positive) / (len(v1) - 1)
        mean_term = (margin - positive + mean_negative).clamp_min(0)
        return closest_sum / len(v1) + mean_term.mean()

    return hard_negative


def measure_memory(loss: str, impl: str, batch: int) -> dict:
    """Resident-set rise during the first forward + backward of one case, and the loss value.
    A call on a batch of 8 first takes one-time costs (thread pools, lazy imports) out."""
    reason = skip_reason(loss, impl, batch)
    if reason:
        return {"error": reason}
    fn, inputs = build(loss, impl, 8)
    fn(*inputs).backward()
    fn, inputs = build(loss, impl, batch)

    def first_call():
        value = fn(*inputs)
        value.backward()
        return value

    peak, method, value = peak_rise_mib(first_call)
    return {"value": float(value.detach()), "peak_mib": round(peak, 1), "memory_method": method}


def skip_reason(loss: str, impl: str, batch: int) -> str | None:
    """Why a case is not run (PML's NT-Xent past its memory), or None."""
    return pml_skip_reason(loss, batch, K) if impl == "pml" else None


def measure_time(loss: str, batch: int, repeats: int, device: str = "cpu") -> dict:
    """Forward + backward seconds of both implementations (and, for a class-weight loss, of its
    three matrix products alone: ``floor``), alternating call by call so that a busy machine slows
    them alike; one warm-up call each first. On a GPU each call is timed to the end of its
    kernels (the device is synchronised before the clock is read)."""
    import torch

    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    skipped = {impl: r for impl in IMPLS if (r := skip_reason(loss, impl, batch))}
    calls = {}
    for impl in IMPLS:
        if impl not in skipped:
            fn, inputs = build(loss, impl, batch, device)
            calls[impl] = _timed_call(fn, inputs)
    floor = matmul_floor(loss, batch, DIM, device)
    if floor is not None:
        calls["floor"] = floor
    times: dict[str, list[float]] = {impl: [] for impl in calls}
    for round_ in range(repeats + 1):
        for impl, call in calls.items():
            sync()
            start = time.perf_counter()
            call()
            sync()
            if round_:
                times[impl].append(time.perf_counter() - start)
    out = {"threads": torch.get_num_threads(), "times_s": times}
    if skipped:
        out["skipped"] = skipped
    return out


def _timed_call(fn, inputs):
    """One forward + backward, the gradients of the inputs and of the loss's own weights cleared
    first (so both implementations do the same work each call)."""
    params = list(fn.parameters()) if hasattr(fn, "parameters") else []

    def call():
        for x in [*inputs, *params]:
            x.grad = None
        fn(*inputs).backward()

    return call


def measure_cuda_memory(loss: str, impl: str, batch: int, device: str = "cuda") -> dict:
    """Peak GPU memory allocated by one forward + backward above what its inputs hold (torch's
    allocator statistics), and the loss value: the GPU counterpart of :func:`measure_memory`.
    A call on a batch of 8 first takes one-time allocations (cuBLAS workspaces) out."""
    import torch

    fn, inputs = build(loss, impl, 8, device)
    fn(*inputs).backward()
    fn, inputs = build(loss, impl, batch, device)
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    value = fn(*inputs)
    value.backward()
    torch.cuda.synchronize(device)
    peak = (torch.cuda.max_memory_allocated(device) - base) / 2**20
    return {"value": float(value.detach()), "peak_mib": round(peak, 1),
            "memory_method": "torch.cuda.max_memory_allocated above the inputs"}


def _subprocess(args: list[str]) -> dict:
    cmd = [sys.executable, __file__, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy(), check=False)
    if out.returncode != 0:
        return {"error": (out.stderr.strip() or f"exit code {out.returncode}")[-500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_size(loss: str, batch: int, repeats: int, in_process: bool) -> list[dict]:
    """Both implementations of one loss at one batch size: memory (a fresh process each unless
    ``in_process``) and interleaved timing."""
    cases = []
    for impl in IMPLS:
        reason = skip_reason(loss, impl, batch)  # known without starting a process
        memory = (
            {"error": reason} if reason
            else measure_memory(loss, impl, batch) if in_process
            else _subprocess(["--memory-case", loss, impl, str(batch)])
        )
        cases.append({"loss": loss, "impl": impl, "batch": batch,
                      "when": time.strftime("%Y-%m-%dT%H:%M:%S"), **memory})
    timing = (
        measure_time(loss, batch, repeats)
        if in_process
        else _subprocess(["--time-case", loss, str(batch), "--repeats", str(repeats)])
    )
    floor = timing.get("times_s", {}).get("floor")
    for case in cases:
        if "error" in timing:
            case["error"] = timing["error"]
        elif case["impl"] in timing.get("skipped", {}):
            case["error"] = timing["skipped"][case["impl"]]
        else:
            ts = timing["times_s"][case["impl"]]
            if floor:
                case.update(floor_s=statistics.median(floor))
            case.update(
                time_s=statistics.median(ts),
                min_time_s=min(ts),
                times_s=ts,
                threads=timing["threads"],
            )
    return cases


def summarise(cases: list[dict], sizes: list[int]) -> dict:
    by = {(c["loss"], c["impl"], c["batch"]): c for c in cases}
    rows = []
    for loss in LOSSES:
        for batch in sizes:
            ours, peer = by.get((loss, "siamkit", batch)), by.get((loss, "pml", batch))
            if not ours or not peer or "error" in ours or "error" in peer:
                continue
            rows.append(_row(loss, batch, ours, peer))
    big = max(sizes)
    hard, every = by.get(("batch_hard", "siamkit", big)), by.get(("batch_all", "siamkit", big))
    ratio = None
    if hard and every and "error" not in hard and "error" not in every and hard["peak_mib"] > 0:
        ratio = round(every["peak_mib"] / hard["peak_mib"], 2)
    return {"rows": rows, "batch_all_over_batch_hard_peak_memory": {"batch": big, "ratio": ratio},
            "softmax_rows": softmax_rows(by, sizes)}


def _row(loss: str, batch: int, ours: dict, peer: dict) -> dict:
    return {
        "loss": loss,
        "batch": batch,
        "siamkit_s": round(ours["time_s"], 5),
        "pml_s": round(peer["time_s"], 5),
        "speedup_vs_pml": round(peer["time_s"] / ours["time_s"], 2),
        "speedup_of_fastest_calls": round(peer["min_time_s"] / ours["min_time_s"], 2),
        "siamkit_peak_mib": ours["peak_mib"],
        "pml_peak_mib": peer["peak_mib"],
        "abs_diff": abs(ours["value"] - peer["value"]),
    }


def softmax_rows(by: dict, sizes: list[int]) -> list[dict]:
    """Rows of the softmax-family losses; where PML could not run, its figures are None and
    ``pml_skipped`` says why. ``target_met``: >= 2x PML's speed with no more peak memory."""
    rows = []
    for loss in SOFTMAX_LOSSES:
        for batch in sizes:
            ours, peer = by.get((loss, "siamkit", batch)), by.get((loss, "pml", batch))
            if not ours or "error" in ours or not peer:
                continue
            if "error" in peer:
                row = {"loss": loss, "batch": batch, "siamkit_s": round(ours["time_s"], 5),
                       "pml_s": None, "speedup_vs_pml": None, "speedup_of_fastest_calls": None,
                       "siamkit_peak_mib": ours["peak_mib"], "pml_peak_mib": None,
                       "abs_diff": None, "pml_skipped": peer["error"], "target_met": None}
            else:
                row = _row(loss, batch, ours, peer)
                row["target_met"] = (row["speedup_vs_pml"] >= 2.0
                                     and ours["peak_mib"] <= peer["peak_mib"])
            if "floor_s" in ours:
                row["floor_s"] = round(ours["floor_s"], 5)
                row["siamkit_over_floor"] = round(ours["time_s"] / ours["floor_s"], 2)
            rows.append(row)
    return rows


def _merge_earlier(output: Path, run: tuple[str, ...], sizes: list[int], cases: list[dict]
                   ) -> tuple[list, dict]:
    """With ``--losses`` or ``--sizes``: the cases of the other losses and sizes from the JSON
    already at ``output``."""
    if (set(run) == set(ALL_LOSSES) and sizes == [256, 1024, 4096]) or not output.is_file():
        return cases, {}
    earlier = json.loads(output.read_text())
    kept = [{"when": earlier.get("when"), **c} for c in earlier.get("cases", [])
            if c["loss"] not in run or c["batch"] not in sizes]
    note = {"losses": sorted({c["loss"] for c in kept}),
            "sizes": sorted({c["batch"] for c in kept}),
            "when": sorted({str(c["when"]) for c in kept}), "threads": earlier.get("threads")}
    return kept + cases, (note if kept else {})


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny in-process smoke run")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--losses", nargs="+", choices=ALL_LOSSES, default=list(ALL_LOSSES),
                        help="the losses to run (default all); the cases of other losses and "
                             "sizes are kept from the JSON at --output")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument("--memory-case", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--time-case", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
        os.environ["SIAMKIT_BENCH_THREADS"] = str(args.threads)
    elif os.environ.get("SIAMKIT_BENCH_THREADS"):  # a child process of a --threads run
        import torch

        torch.set_num_threads(int(os.environ["SIAMKIT_BENCH_THREADS"]))
    if args.memory_case:
        loss, impl, batch = args.memory_case
        print(json.dumps(measure_memory(loss, impl, int(batch))))
        return {}
    if args.time_case:
        print(json.dumps(measure_time(args.time_case[0], int(args.time_case[1]), args.repeats)))
        return {}
    sizes = args.sizes or ([64] if args.quick else [256, 1024, 4096])
    repeats = args.repeats or (1 if args.quick else 5)
    cases = []
    for batch in sizes:
        for loss in [name for name in ALL_LOSSES if name in args.losses]:
            for case in run_size(loss, batch, repeats, in_process=args.quick):
                cases.append(case)
                shown = (
                    f"{case['time_s']:.4f} s, {case['peak_mib']} MiB"
                    if "error" not in case
                    else "ERROR " + case["error"].splitlines()[-1]
                )
                print(f"{loss:17s} {case['impl']:8s} B={batch:5d}  {shown}", flush=True)
    import pytorch_metric_learning
    import torch

    all_cases, earlier = _merge_earlier(args.output, tuple(args.losses), sizes, cases)
    all_sizes = sorted({c["batch"] for c in all_cases} | set(sizes))
    result = {
        "benchmark": "losses",
        "quick": args.quick,
        "dim": DIM,
        "k_per_class": K,
        "margins": MARGIN,
        "softmax_classes": N_CLASSES,
        "losses_run": list(args.losses),
        "repeats": repeats,
        "sizes": all_sizes,
        "sizes_run": sizes,
        "torch": torch.__version__,
        "pytorch_metric_learning": pytorch_metric_learning.__version__,
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "note": "median forward+backward seconds, implementations interleaved; peak_mib = "
        "resident-set rise during the first call in a fresh process (in-process under "
        "--quick); speedup = pml_s / siamkit_s (medians), speedup_of_fastest_calls "
        "compares the minima, steadier on a busy machine",
        **({"cases_from_an_earlier_run": earlier} if earlier else {}),
        **summarise(all_cases, all_sizes),
        "cases": all_cases,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    for row in result["rows"]:
        print(
            f"{row['loss']:14s} B={row['batch']:5d} speedup vs PML x{row['speedup_vs_pml']}"
            f"  peak {row['siamkit_peak_mib']} vs {row['pml_peak_mib']} MiB"
            f"  |diff| {row['abs_diff']:.2e}"
        )
    for row in result["softmax_rows"]:
        vs = (f"speedup vs PML x{row['speedup_vs_pml']}  peak {row['siamkit_peak_mib']} vs "
              f"{row['pml_peak_mib']} MiB  |diff| {row['abs_diff']:.2e}"
              if row["pml_s"] else row["pml_skipped"])
        floor = f"  x{row['siamkit_over_floor']} of the matmul floor" if "floor_s" in row else ""
        print(f"{row['loss']:18s} B={row['batch']:5d} {vs}{floor}")
    print("batch_all / batch_hard peak memory:", result["batch_all_over_batch_hard_peak_memory"])
    print("wrote", args.output)
    return result


if __name__ == "__main__":
    main()
