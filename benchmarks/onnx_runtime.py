"""ONNX Runtime against PyTorch eager: embedding throughput on the CPU, same inputs, same threads.

Models (the architectures siamkit's own configs train; weights are the seeded initialisation,
which costs the same arithmetic as trained weights):

* ``demo-convnet``: what ``siamkit demo`` trains, convnet channels [32, 64], 32-d, 8x8 digits
  (scikit-learn's built-in digits as inputs);
* ``mnist-keras``: what ``examples/mnist_contrastive.toml`` trains, the keras-mnist convnet tower,
  28x28 (MNIST test digits as inputs);
* ``kjv-lstm``: what ``examples/kjv_web_lstm.toml`` trains, rnn LSTM 128/128, mean pooling over
  the real tokens, L2-normalised; tokenizer fitted on the kjv-web training verses (30,000 words,
  max_length 64), inputs the test verses.

Both engines embed the same storage-form batches (uint8 images, int64 token ids): PyTorch as
``model.embed`` in eval mode under ``torch.inference_mode()``; ONNX Runtime the folder written by
``siamkit export`` (graph optimisation ORT_ENABLE_ALL, CPU provider). Both use the same number of
intra-op threads (``--threads``; ORT's inter-op pool is sequential like eager PyTorch).

The machine is shared, so repetitions are *interleaved*: each repetition times torch then ORT (the
order alternates) over the same batches, and the speedup is the median of the per-repetition
ratios, so that load which varies over the run hits both engines alike. The 1-minute load average
is recorded before and after. Run under ``nice -n 10``.

    PYTHONPATH=src SIAMKIT_DATA=/work/shared/data nice -n 10 python benchmarks/onnx_runtime.py
    ... --quick     (fewer repetitions and items, for a check)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import command_line, load_average, machine_info  # noqa: E402

import siamkit as sk  # noqa: E402
from siamkit.adapters import ImageAdapter, TextAdapter  # noqa: E402
from siamkit.data import Tokenizer, load_dataset  # noqa: E402
from siamkit.encoders import create_encoder  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "onnx_runtime.json"
TARGET = 1.5
# What bounds the ratio (read off the rows: large at batch 1, near 1 at large batches).
LIMITS = ("At small batches eager PyTorch pays per-call Python/dispatcher overhead per layer, "
          "which ORT's single fused graph call avoids, so ORT wins by several times. At large "
          "batches both engines are compute-bound in the same kernels: the convolutions and the "
          "LSTM already run in oneDNN/MKL inside torch, so ORT's graph optimisations leave little "
          "to gain and the ratio approaches 1; the 1.5x target is met only where overhead "
          "dominates.")


def demo_convnet(items: int) -> tuple[sk.SiameseNetwork, Any]:
    data = load_dataset("digits", "test")
    adapter = ImageAdapter(1, 8).fit(torch.as_tensor(np.asarray(data.x)))
    model = sk.SiameseNetwork(create_encoder("convnet", channels=[32, 64], embedding_dim=32),
                              adapter=adapter)
    return model, torch.as_tensor(np.asarray(data.x))[:items]


def mnist_keras(items: int) -> tuple[sk.SiameseNetwork, Any]:
    data = load_dataset("mnist", "test")
    model = sk.SiameseNetwork(create_encoder("convnet", preset="keras-mnist"),
                              adapter=ImageAdapter(1, 28))
    return model, torch.as_tensor(np.asarray(data.x))[:items]


def kjv_lstm(items: int) -> tuple[sk.SiameseNetwork, Any]:
    train, test = load_dataset("kjv-web", "train"), load_dataset("kjv-web", "test")
    tokenizer = Tokenizer(max_vocab_size=30000, lowercase=True).fit(list(train.x1) + list(train.x2))
    model = sk.SiameseNetwork(
        create_encoder("rnn", vocab_size=tokenizer.vocab_size, cell="lstm", token_dim=128,
                       hidden_dim=128, pooling="mean", normalize=True),
        adapter=TextAdapter(tokenizer, max_length=64), distance="cosine")
    return model, list(test.x1)[:items]


MODELS: dict[str, Callable[[int], tuple[sk.SiameseNetwork, Any]]] = {
    "demo-convnet": demo_convnet, "mnist-keras": mnist_keras, "kjv-lstm": kjv_lstm}


def time_batches(fn: Callable[[Any], Any], batches: list[Any]) -> float:
    start = time.perf_counter()
    for batch in batches:
        fn(batch)
    return time.perf_counter() - start


def measure(name: str, batch_sizes: list[int], items: int, reps: int, threads: int,
            folder: Path) -> list[dict[str, Any]]:
    torch.manual_seed(0)
    model, raw = MODELS[name](items)
    model.eval()
    out = sk.export_onnx(model, folder / name)
    runtime = sk.OnnxModel(out, threads=threads)
    rows = []
    for size in batch_sizes:
        # The storage form, prepared once: both engines time the model, not the tokenizer.
        batches = [model.prepare(raw[i:i + size]) for i in range(0, len(raw) - size + 1, size)]
        n = sum(len(b) for b in batches)
        with torch.inference_mode():
            diff = max(float((runtime.embed(b) - model.embed(b)).abs().max()) for b in batches[:3])
            torch_run = model.embed
            for fn in (torch_run, runtime.run):  # warm-up: first calls allocate and plan
                time_batches(fn, batches[:2])
            torch_s, ort_s = [], []
            for rep in range(reps):
                order = [(torch_s, torch_run), (ort_s, runtime.run)]
                for seconds, fn in (order if rep % 2 == 0 else order[::-1]):
                    seconds.append(time_batches(fn, batches))
        ratios = [t / o for t, o in zip(torch_s, ort_s)]
        row = {"model": name, "batch": size, "items": n, "reps": reps, "threads": threads,
               "torch_items_per_s": n / statistics.median(torch_s),
               "ort_items_per_s": n / statistics.median(ort_s),
               "speedup": statistics.median(ratios), "speedup_min": min(ratios),
               "speedup_max": max(ratios), "max_abs_diff": diff,
               "target_met": statistics.median(ratios) >= TARGET}
        rows.append(row)
        print(f"{name:13s} batch {size:4d}: torch {row['torch_items_per_s']:9.0f}/s  ort "
              f"{row['ort_items_per_s']:9.0f}/s  speedup {row['speedup']:.2f}x "
              f"[{row['speedup_min']:.2f}-{row['speedup_max']:.2f}]  diff {diff:.1e}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer items and repetitions")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads of both engines")
    parser.add_argument("--batches", default="1,32,256", help="batch sizes, comma-separated")
    parser.add_argument("--models", default=",".join(MODELS), help="models, comma-separated")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    items, reps = (512, 3) if args.quick else (2048, 7)
    sizes = [int(b) for b in args.batches.split(",")]
    before = load_average()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            rows += measure(name, sizes, items, reps, args.threads, Path(tmp))
    result = {
        "benchmark": "onnx_runtime", "command": command_line("benchmarks/onnx_runtime.py", argv),
        "quick": args.quick, "threads": args.threads, "target_speedup": TARGET,
        "onnxruntime": __import__("onnxruntime").__version__,
        "machine": machine_info(), "load_average_1min_before": before,
        "load_average_1min_after": load_average(), "rows": rows,
        "target_met": {name: all(r["speedup"] >= TARGET for r in rows if r["model"] == name)
                       for name in {r["model"] for r in rows}},
        "limits": LIMITS,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out} (load average {before} -> {result['load_average_1min_after']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
