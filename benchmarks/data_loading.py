"""Samples per second of pair batches from in-memory MNIST: siamkit's loader beside a naive peer.

The peer is the usual per-sample PyTorch recipe: a ``Dataset`` whose ``__getitem__`` picks one pair
(a positive or a negative partner for an anchor, as in the Keras MNIST example) and a
``DataLoader`` that collates the samples into batches. siamkit draws an epoch's pairs with NumPy and
gathers each batch with one tensor index (``siamkit.data.make_loader("pairs", ...)``). Both yield
``(x1, x2, y)`` with uint8 images ``[B, 1, 28, 28]`` and ``y`` float (1 = same class).

For scale, the same run times one training step of the default MNIST twin network (convnet
encoder, contrastive loss, Adam) at batch 128: the loader must not be the bottleneck of training.

Usage: ``python benchmarks/data_loading.py [--quick] [--data-dir DIR] [--output PATH]``. Without the
MNIST files (``--data-dir`` or ``SIAMKIT_DATA``) it uses random images of MNIST's shape and says so.
Writes ``benchmarks/results/data_loading.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import siamkit  # noqa: E402
from siamkit.data import LabelledData, load_dataset, make_loader  # noqa: E402
from siamkit.errors import SiamkitError  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "data_loading.json"


class NaivePairs(Dataset):
    """One pair per ``__getitem__``: item 2i is anchor i with a positive, 2i+1 with a negative."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, seed: int = 0) -> None:
        self.x, self.y = x, y.tolist()
        self.by_class: dict[int, list[int]] = {}
        for i, c in enumerate(self.y):
            self.by_class.setdefault(c, []).append(i)
        self.classes = sorted(self.by_class)
        self.rng = random.Random(seed)

    def __len__(self) -> int:
        return 2 * len(self.y)

    def __getitem__(self, item: int):
        anchor, positive = divmod(item, 2)
        c = self.y[anchor]
        if positive == 0:
            other = self.rng.choice(self.by_class[c])
            label = 1.0
        else:
            c2 = self.rng.choice([k for k in self.classes if k != c])
            other = self.rng.choice(self.by_class[c2])
            label = 0.0
        return self.x[anchor], self.x[other], torch.tensor(label)


def load_mnist(data_dir: str | None, n: int | None) -> tuple[LabelledData, str]:
    try:
        data = load_dataset("mnist", "train", data_dir, download=False)
        source = "mnist"
    except SiamkitError:
        g = torch.Generator().manual_seed(0)
        count = n or 60_000
        images = torch.randint(0, 256, (count, 1, 28, 28), dtype=torch.uint8, generator=g)
        data = LabelledData(images,
                            torch.arange(count) % 10, name="synthetic")
        source = "synthetic (MNIST files not found)"
    return (data.subset(torch.arange(n)) if n and n < len(data) else data), source


def time_batches(batches, n_pairs: int) -> float:
    """Pairs per second to take ``n_pairs`` pairs from the iterable of batches."""
    start, seen = time.perf_counter(), 0
    for batch in batches:
        seen += len(batch[2])
        if seen >= n_pairs:
            break
    return seen / (time.perf_counter() - start)


def best_of(fn, repeats: int) -> float:
    """The best of ``repeats`` timings after one warm-up (thread pools, caches): on a shared
    machine the best run is the one least disturbed by other work."""
    fn()
    return max(fn() for _ in range(repeats))


def train_step_rate(batch_size: int, steps: int) -> dict:
    """Pairs per second of forward + backward + Adam step of the default MNIST twin network."""
    from siamkit.adapters import ImageAdapter
    from siamkit.encoders import create_encoder

    model = siamkit.SiameseNetwork(create_encoder("convnet", in_channels=1, embedding_dim=64),
                                   adapter=ImageAdapter(1, 28))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    x1 = torch.randint(0, 256, (batch_size, 1, 28, 28), dtype=torch.uint8, generator=g)
    x2 = torch.randint(0, 256, (batch_size, 1, 28, 28), dtype=torch.uint8, generator=g)
    y = (torch.arange(batch_size) % 2).float()

    def step() -> None:
        e1, e2 = model(x1, x2)
        d = model.distance_fn.paired(e1, e2)
        loss = (y * d.pow(2) / 2 + (1 - y) * (1.0 - d).clamp_min(0).pow(2) / 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    rate = steps * batch_size / (time.perf_counter() - start)
    return {"model": "convnet (default preset, embedding 64) + contrastive + Adam",
            "batch_size": batch_size, "pairs_per_s": round(rate, 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny slice that runs in seconds")
    parser.add_argument("--data-dir", default=None, help="holds mnist/ (else SIAMKIT_DATA)")
    parser.add_argument("--output", default=str(RESULTS), help="where to write the JSON")
    args = parser.parse_args(argv)
    torch.set_num_threads(min(2, os.cpu_count() or 1))

    n_pairs, repeats, steps = (2_000, 3, 1) if args.quick else (30_000, 5, 20)
    data, source = load_mnist(args.data_dir, 2_000 if args.quick else None)
    rows = []
    for batch_size in (16, 128):
        ours = make_loader("pairs", data, batch_size, seed=0)
        peer = DataLoader(NaivePairs(data.x, data.y), batch_size=batch_size, shuffle=True,
                          generator=torch.Generator().manual_seed(0))
        row = {"batch_size": batch_size,
               "siamkit_pairs_per_s": round(best_of(lambda: time_batches(ours, n_pairs), repeats)),
               "naive_pairs_per_s": round(best_of(lambda: time_batches(peer, n_pairs), repeats))}
        row["speedup"] = round(row["siamkit_pairs_per_s"] / row["naive_pairs_per_s"], 3)
        rows.append(row)
    train = train_step_rate(128, steps)
    loader_128 = rows[1]["siamkit_pairs_per_s"]
    train["loader_share_of_step_time"] = float(f"{train['pairs_per_s'] / loader_128:.3g}")
    result = {
        "benchmark": "data_loading", "quick": args.quick, "data": source, "samples": len(data),
        "pairs_timed": n_pairs, "repeats": repeats, "results": rows, "train_step": train,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
                    "load_average_1min": round(os.getloadavg()[0], 2)},
        "siamkit": siamkit.__version__, "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    print(f"pairs/s from in-memory {source}, {len(data)} samples")
    print(f"{'batch':>6} {'siamkit':>12} {'naive':>12} {'speedup':>8}")
    for r in rows:
        print(f"{r['batch_size']:>6} {r['siamkit_pairs_per_s']:>12,.0f} "
              f"{r['naive_pairs_per_s']:>12,.0f} {r['speedup']:>7.1f}x")
    print(f"training step at batch 128: {train['pairs_per_s']:,.0f} pairs/s; the loader takes "
          f"{100 * train['loader_share_of_step_time']:.3g}% of a step's time")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
