"""Benchmark: training throughput with 1 and 2 processes under torchrun on CPU (gloo), and the plan
for GPUs and several machines (issue 7, experiment 6).

Two models, the same in every run, each process with the same batch: a contrastive-pairs model
(``ContrastiveLoss`` on ``"pairs"`` batches of ``--batch`` pairs per process) and an in-batch model
(``BatchHardTripletLoss`` on P x K ``"labelled"`` batches of ``--batch`` images per process, whose
embeddings are gathered over the processes so that every rank mines the global batch). Both use
the ``convnet`` encoder (default preset, channels 16-32-64, 64-dim embedding) on MNIST's training
images (random images of MNIST's shape without the data; the result says which).

Layouts: 1 process x 1 thread, 1 process x 2 threads, 2 processes x 1 thread, each launched as
``python -m torch.distributed.run --standalone --nproc_per_node N benchmarks/scaling.py --worker``
(siamkit's Trainer joins the process group from torchrun's variables; the loaders are sharded by
rank). Each run trains 2 epochs of ``--steps`` optimizer steps per process; the second epoch is
timed (global samples over its wall time). The plan (``PLAN``, filled with the measured figures) is
written into the JSON and into benchmarks/results/scaling.md.

    PYTHONPATH=src python benchmarks/scaling.py            # 6 runs, about 3 minutes
    PYTHONPATH=src python benchmarks/scaling.py --quick    # tiny runs, about 30 seconds
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

RESULTS = HERE / "results"
LAYOUTS = ((1, 1), (1, 2), (2, 1))  # (processes, torch threads per process)
KINDS = ("pairs", "batch_hard")


# ---- the worker: one process of a torchrun job -----------------------------------------------

def worker(kind: str, batch: int, steps: int, quick: bool, data_dir: str | None, out: Path) -> None:
    import time

    import torch

    import siamkit as sk
    from siamkit.adapters import ImageAdapter
    from siamkit.data import LabelledData, load_dataset, make_loader
    from siamkit.encoders import create_encoder
    from siamkit.errors import SiamkitError
    from siamkit.losses import BatchHardTripletLoss, ContrastiveLoss

    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    per_step = batch // 2 if kind == "pairs" else batch  # anchors (2 pairs each) or images
    n = per_step * steps * world
    try:
        data = load_dataset("mnist", "train", data_dir, download=False, progress=False)
        data, source = data.subset(torch.arange(n)), "mnist"
    except SiamkitError:
        gen = torch.Generator().manual_seed(0)
        data = LabelledData(torch.randint(0, 256, (n, 1, 28, 28), generator=gen, dtype=torch.uint8),
                            torch.arange(n) % 10)
        source = "random images of MNIST's shape (MNIST files not found)"
    channels = [8, 16] if quick else [16, 32, 64]
    torch.manual_seed(0)
    model = sk.SiameseNetwork(create_encoder("convnet", channels=channels, embedding_dim=64),
                              adapter=ImageAdapter(1, 28))
    shard = {"rank": rank, "world_size": world}
    if kind == "pairs":
        loss = ContrastiveLoss(margin=1.0)
        loader = make_loader("pairs", data, batch, seed=0, drop_last=True, **shard)
    else:
        loss = BatchHardTripletLoss(margin=0.3)
        loader = make_loader("labelled", data, batch, seed=0, samples_per_class=batch // 8, **shard)
    trainer = sk.Trainer(model, loss, optimizer="adam", lr=1e-3, epochs=2, progress=False, seed=0)
    t0 = time.perf_counter()
    history = trainer.fit(loader)
    total = time.perf_counter() - t0
    if rank == 0:
        last = history.epochs[-1]
        unit = "pairs" if kind == "pairs" else "images"
        out.write_text(json.dumps({
            "kind": kind, "processes": world, "threads": torch.get_num_threads(),
            "batch_per_process": batch, "unit": unit, "steps_per_process": last["steps"],
            "samples_per_s": round(last["samples_per_s"], 1),
            "images_per_s": round(last["samples_per_s"] * (2 if kind == "pairs" else 1), 1),
            "epoch_s": round(last["time_s"], 3), "total_s_with_start": round(total, 2),
            "data": source,
        }))


# ---- the launcher -----------------------------------------------------------------------------

def launch(kind: str, processes: int, threads: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", str(processes), str(Path(__file__).resolve()), "--worker",
               "--kind", kind, "--batch", str(args.batch), "--steps", str(args.steps),
               "--out", str(out)] + (["--quick"] if args.quick else []) + (
               ["--data-dir", args.data_dir] if args.data_dir else [])
        env = {**os.environ, "OMP_NUM_THREADS": str(threads),
               "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
        from _machine import load_average

        load = load_average()  # before the run: how busy the machine was that it started on
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"torchrun with {processes} process(es) failed:\n"
                               f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return {**json.loads(out.read_text()), "load_average_1min_before": load,
                "load_average_1min_after": load_average()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny model and few steps")
    parser.add_argument("--batch", type=int, default=64, help="pairs or images per process (64)")
    parser.add_argument("--steps", type=int, default=None, help="steps per process per epoch")
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ (or SIAMKIT_DATA)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per torchrun job")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON path (results/scaling.json; --quick: scaling-quick.json)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.output = args.output or RESULTS / ("scaling-quick.json" if args.quick else "scaling.json")
    args.steps = args.steps or (5 if args.quick else 150)
    if args.worker:
        worker(args.kind, args.batch, args.steps, args.quick, args.data_dir, args.out)
        return {}
    from _machine import command_line, machine_info
    from _scaling_plan import plan_markdown

    runs = []
    for kind in KINDS:
        for processes, threads in LAYOUTS:
            run = launch(kind, processes, threads, args)
            runs.append(run)
            print(f"{kind:10s} {processes} process(es) x {threads} thread(s): "
                  f"{run['samples_per_s']:8.1f} {run['unit']}/s "
                  f"({run['images_per_s']:.0f} images/s)", flush=True)
    machine = machine_info()
    plan = plan_markdown(runs, machine, args)
    result = {"benchmark": "scaling", "quick": args.quick,
              "command": command_line("benchmarks/scaling.py", argv), "machine": machine,
              "batch_per_process": args.batch, "steps_per_process": args.steps,
              "runs": runs, "plan": plan}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    args.output.with_suffix(".md").write_text(plan)
    return result


if __name__ == "__main__":
    main()
