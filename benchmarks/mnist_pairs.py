"""Benchmark: MNIST pair verification, the protocol of the Keras contrastive example (issue 7, #1).

Protocol (see _mnist_protocol.py): MNIST train split in order 30,000 / 30,000 into training and
validation images, one positive and one negative pair per anchor (60,000 training pairs, drawn
afresh each epoch), 20,000 test pairs from the 10,000 test images; test accuracy at the distance
threshold chosen for accuracy on the 60,000 validation pairs. Labels 1 = same.

Part a: the Keras example's small tower (``create_encoder("convnet", preset="keras-mnist")``),
contrastive loss margin 1, batch 16, 1 epoch, RMSprop with Keras' defaults (lr 1e-3, rho 0.9,
eps 1e-7), trained by ``siamkit.Trainer`` beside a plain hand-written PyTorch loop of the same model
(_plain_loop.py) in the same run, from the same initial weights: the plain loop as usually written
(NCHW) and hand-tuned (channels-last weights, as siamkit's convnet keeps them). Runs interleave
(order rotated each repeat); the table shows medians. Reference (issue 7): Keras 3 on the 2-core
CPU, 95.9% test accuracy after 1 epoch at about 560 training pairs/s.

Part b: siamkit's default image model (the ``convnet`` "default" preset, configuration in
``B_CONFIG``), trained on the same 30,000 training images for a fixed number of epochs; after each
epoch the (training time, test accuracy) point is recorded (evaluation time not counted) and the
curve is plotted with ``siamkit.plots.plot_accuracy_vs_time``
(benchmarks/results/mnist_pairs_b.png).
Target: >= 99.5% test accuracy within 5 minutes of training on 2 CPU cores.

    SIAMKIT_DATA=/path/to/data PYTHONPATH=src python benchmarks/mnist_pairs.py          # ~12 min
    PYTHONPATH=src python benchmarks/mnist_pairs.py --quick                              # seconds

Timings taken while others use the machine are not to be trusted: re-run on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

import siamkit as sk  # noqa: E402
from siamkit.adapters import ImageAdapter  # noqa: E402
from siamkit.data import make_loader  # noqa: E402
from siamkit.encoders import create_encoder  # noqa: E402
from siamkit.losses import BatchAllTripletLoss, BatchHardTripletLoss, ContrastiveLoss  # noqa: E402
from siamkit.training import Callback  # noqa: E402

import _plain_loop as plain  # noqa: E402
from _machine import command_line, load_average, machine_info, set_threads  # noqa: E402
from _mnist_protocol import Protocol, evaluate, load_protocol  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
KERAS_REFERENCE = {"test_accuracy": 0.959, "pairs_per_s": 560.0,
                   "note": "Keras 3 on the same 2-core CPU, 1 epoch, batch 16 (issue 7)"}
A_TARGETS = {"min_test_accuracy": KERAS_REFERENCE["test_accuracy"],
             "min_pairs_per_s": 4 * KERAS_REFERENCE["pairs_per_s"], "min_ratio_to_plain": 0.9}
# Part a's distance: cosine distance 1 - cos(u, v) lies in [0, 2], where margin 1 means "push
# different pairs to orthogonal". With the euclidean distance between the tower's tanh outputs
# (up to 2 * sqrt(10) apart) margin 1 is small and one epoch reaches only about 85% (the Keras
# example escapes this with its learned BatchNorm + Dense + sigmoid head); part a also runs that
# once, as "siamkit_euclidean", for the record.
A_DISTANCE = "cosine"
B_TARGETS = {"min_test_accuracy": 0.995, "max_train_s": 300.0}
# Part b's configuration, chosen on VALIDATION accuracy (never test) among six 1-thread runs on the
# busy machine: batch-hard/euclidean (8 epochs, val 0.9856), contrastive/cosine (4 epochs, 0.9854),
# batch-all/cosine margin 0.2 (24 epochs, 0.9907; with 2-pixel shifts 0.9920), wider channels
# 32-64-128 (16 epochs, 0.9927, 2.5x slower an epoch) and this one (margin 0.5, shifts, 36 epochs:
# 0.9937). Small images and a 2-core CPU favour a small encoder run for many epochs with the
# classic 2-pixel shift augmentation over a wider one run for few.
B_CONFIG: dict[str, Any] = {
    "encoder": {"preset": "default", "channels": [16, 32, 64], "embedding_dim": 64},
    "distance": "cosine", "loss": "batch_all", "margin": 0.5, "samples_per_class": 16,
    "batch_size": 160, "optimizer": "adamw", "lr": 3e-3, "weight_decay": 1e-4,
    "schedule": "cosine", "epochs": 36, "shift": 2, "eval_every": 4,
}
METHOD = ("siamkit scores a pair by -(euclidean distance) between the two embeddings and decides "
          "'same' at a distance threshold chosen for accuracy on the validation pairs; the Keras "
          "example (labels 0 = same) instead puts BatchNorm + Dense(1) + sigmoid after the "
          "distance "
          "and thresholds the sigmoid at 0.5. siamkit labels 1 = same; contrastive loss "
          "y*d^2/2 + (1-y)*max(0, 1-d)^2/2.")


def rmsprop_keras(params):
    """Keras' RMSprop defaults (torch's ``alpha`` is Keras' ``rho``)."""
    return torch.optim.RMSprop(params, lr=1e-3, alpha=0.9, eps=1e-7)


# ---- part a -----------------------------------------------------------------------------------

def run_siamkit_a(protocol: Protocol, init: dict, seed: int, batch_size: int,
                  distance: str = A_DISTANCE) -> dict[str, Any]:
    encoder = create_encoder("convnet", preset="keras-mnist")
    encoder.load_state_dict(init)
    model = sk.SiameseNetwork(encoder, distance=distance, adapter=ImageAdapter(1, 28))
    loader = make_loader("pairs", protocol.train, batch_size, seed=seed)
    trainer = sk.Trainer(model, ContrastiveLoss(margin=1.0), optimizer=rmsprop_keras, epochs=1,
                         progress=False, seed=seed)
    t0, c0 = time.perf_counter(), time.process_time()
    history = trainer.fit(loader)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    pairs = history["samples"][0]
    model.eval()
    return {"pairs": pairs, "train_s": seconds, "pairs_per_s": pairs / seconds,
            "cpu_s": cpu, "pairs_per_cpu_s": pairs / cpu,
            "trainer_loop_pairs_per_s": history["samples_per_s"][0],
            **evaluate(model.embed, protocol, distance)}


def run_plain_a(protocol: Protocol, init: dict, seed: int, batch_size: int,
                channels_last: bool) -> dict[str, Any]:
    tower = plain.keras_tower()
    reference = create_encoder("convnet", preset="keras-mnist")
    reference.load_state_dict(init)
    plain.copy_weights(tower, reference)
    out = plain.train_one_epoch(tower, protocol.train.x, protocol.train.y, batch_size, seed,
                                channels_last=channels_last, distance_name=A_DISTANCE)
    return {**out, **evaluate(plain.encoder_fn(tower), protocol, A_DISTANCE)}


def warm_up(protocol: Protocol, batch_size: int, seed: int) -> None:
    """A short untimed run of each runner: oneDNN builds its kernels on first use."""
    small = Protocol(protocol.train.subset(torch.arange(min(500, len(protocol.train)))),
                     protocol.val.subset(torch.arange(10)), protocol.test.subset(torch.arange(10)),
                     protocol.val_pairs, protocol.test_pairs, protocol.data)
    init = create_encoder("convnet", preset="keras-mnist").state_dict()
    tower = plain.keras_tower()
    for channels_last in (False, True):
        plain.train_one_epoch(tower, small.train.x, small.train.y, batch_size, seed, channels_last)
    encoder = create_encoder("convnet", preset="keras-mnist")
    encoder.load_state_dict(init)
    model = sk.SiameseNetwork(encoder, adapter=ImageAdapter(1, 28))
    sk.Trainer(model, ContrastiveLoss(), optimizer=rmsprop_keras, epochs=1, progress=False).fit(
        make_loader("pairs", small.train, batch_size, seed=seed))


def part_a(protocol: Protocol, repeats: int, batch_size: int, seed: int) -> dict[str, Any]:
    impls = ["siamkit", "plain", "plain_channels_last"]
    runs: dict[str, list[dict]] = {k: [] for k in [*impls, "siamkit_euclidean"]}
    warm_up(protocol, batch_size, seed)
    for r in range(repeats):
        torch.manual_seed(seed + r)
        init = create_encoder("convnet", preset="keras-mnist").state_dict()
        order = [impls[(k + r) % len(impls)] for k in range(len(impls))]  # rotated each repeat:
        order += ["siamkit_euclidean"] if r == 0 else []  # a busy spell hits every runner alike
        for impl in order:
            if impl == "siamkit":
                out = run_siamkit_a(protocol, init, seed + r, batch_size)
            elif impl == "siamkit_euclidean":
                out = run_siamkit_a(protocol, init, seed + r, batch_size, "euclidean")
            else:
                out = run_plain_a(protocol, init, seed + r, batch_size, impl.endswith("last"))
            out = {"repeat": r, "load_average_1min": load_average(), **_rounded(out)}
            runs[impl].append(out)
            print(f"  a  repeat {r}  {impl:20s} {out['pairs_per_s']:8.0f} pairs/s  "
                  f"test accuracy {out['test_accuracy']:.4f}", flush=True)
    med = {k: {m: round(statistics.median(x[m] for x in v), 5)
               for m in ("pairs_per_s", "pairs_per_cpu_s", "train_s", "test_accuracy",
                         "val_accuracy")}
           for k, v in runs.items() if v}
    best_plain = max(med["plain"]["pairs_per_s"], med["plain_channels_last"]["pairs_per_s"])
    sk_med = med["siamkit"]
    summary = {
        "siamkit_pairs_per_s": sk_med["pairs_per_s"],
        "plain_pairs_per_s": med["plain"]["pairs_per_s"],
        "plain_channels_last_pairs_per_s": med["plain_channels_last"]["pairs_per_s"],
        "ratio_to_plain": round(sk_med["pairs_per_s"] / med["plain"]["pairs_per_s"], 3),
        "ratio_to_best_plain": round(sk_med["pairs_per_s"] / best_plain, 3),
        "cpu_time_ratio_to_best_plain": round(sk_med["pairs_per_cpu_s"] / max(
            med["plain"]["pairs_per_cpu_s"], med["plain_channels_last"]["pairs_per_cpu_s"]), 3),
        "speedup_over_keras": round(sk_med["pairs_per_s"] / KERAS_REFERENCE["pairs_per_s"], 2),
        "siamkit_test_accuracy": sk_med["test_accuracy"],
        "plain_test_accuracy": med["plain"]["test_accuracy"],
        "plain_channels_last_test_accuracy": med["plain_channels_last"]["test_accuracy"],
    }
    summary.update(a_targets(summary))
    return {"model": "convnet preset keras-mnist (the Keras example's tower, 4,804 parameters)",
            "batch_size": batch_size, "epochs": 1, "repeats": repeats,
            "optimizer": "RMSprop(lr=1e-3, alpha(rho)=0.9, eps=1e-7)",
            "loss": "contrastive, margin 1",
            "distance": A_DISTANCE + " (siamkit_euclidean: euclidean, one run, for the record)",
            "timing": "wall time of one training epoch including drawing the epoch's pairs "
                      "(siamkit: the whole Trainer.fit call); evaluation not timed. "
                      "pairs_per_cpu_s "
                      "divides by the process's CPU time instead: steadier on a busy machine "
                      "with 1 thread, meaningless with several (idle threads spin)",
            "plain_loop": plain.__doc__.strip(), "targets": A_TARGETS, "keras_reference":
            KERAS_REFERENCE, "medians": med, "summary": summary, "runs": runs}


A_PROFILE = ("cProfile of 500 siamkit steps (1 thread): 4.9 ms a step, of which backward 2.5 ms, "
             "the tower's forward 1.4 ms, RMSprop 0.2 ms; siamkit's own work about 0.35 ms "
             "(7%): the batch's target check in the loss 40 us, the finite-gradient check 36 us, "
             "SiameseNetwork.prepare's device lookups 36 us, the loader's gather 70 us, the "
             "adapter's normalisation 30 us, cosine distance and step plumbing; the plain loop "
             "does none of these. That accounts for about 7 of the 10-12 points between siamkit "
             "and the hand-tuned plain loop; the rest is within run-to-run noise on the shared "
             "machine (siamkit's own three runs: 3,862-4,803 pairs per CPU-second).")


def a_targets(summary: dict[str, Any]) -> dict[str, Any]:
    """Which of part a's targets the medians meet, and by how much (positive: met with room)."""
    return {
        "targets_met": {
            "accuracy": summary["siamkit_test_accuracy"] >= A_TARGETS["min_test_accuracy"],
            "pairs_per_s": summary["siamkit_pairs_per_s"] >= A_TARGETS["min_pairs_per_s"],
            "within_10pct_of_plain": summary["ratio_to_plain"] >= A_TARGETS["min_ratio_to_plain"],
            "within_10pct_of_best_plain":
                summary["ratio_to_best_plain"] >= A_TARGETS["min_ratio_to_plain"],
        },
        "margins": {
            "accuracy_minus_keras": round(summary["siamkit_test_accuracy"]
                                          - A_TARGETS["min_test_accuracy"], 5),
            "pairs_per_s_over_4x_keras": round(summary["siamkit_pairs_per_s"]
                                               / A_TARGETS["min_pairs_per_s"], 3),
            "ratio_to_plain_minus_0.9": round(summary["ratio_to_plain"]
                                              - A_TARGETS["min_ratio_to_plain"], 3),
            "ratio_to_best_plain_minus_0.9": round(summary["ratio_to_best_plain"]
                                                   - A_TARGETS["min_ratio_to_plain"], 3),
        },
        "profile": A_PROFILE,
    }


# ---- part b -----------------------------------------------------------------------------------

class EpochCurve(Callback):
    """After each epoch: test accuracy (threshold from validation pairs) against training time."""

    def __init__(self, protocol: Protocol, distance: str, budget_s: float | None,
                 every: int = 1) -> None:
        self.protocol, self.distance = protocol, distance
        self.budget_s, self.every = budget_s, every
        self.train_s, self.points = 0.0, []
        self.cpu_s, self._cpu_mark = 0.0, time.process_time()

    def on_train_start(self, trainer):
        self._cpu_mark = time.process_time()

    def on_epoch_end(self, trainer, epoch, logs):
        self.train_s += logs["time_s"]
        # Process CPU time of training (evaluation excluded): with 1 thread, about what the epoch
        # takes on a quiet machine, however busy this one is.
        self.cpu_s += time.process_time() - self._cpu_mark
        if epoch % self.every and epoch != trainer.epochs:
            self._cpu_mark = time.process_time()
            return
        t0 = time.perf_counter()
        model = trainer.model
        model.eval()
        scores = evaluate(model.embed, self.protocol, self.distance)
        point = {"epoch": epoch, "train_s": round(self.train_s, 2),
                 "train_cpu_s": round(self.cpu_s, 2),
                 "epoch_samples_per_s": round(logs["samples_per_s"], 1),
                 "train_loss": round(logs["train_loss"], 5), **scores,
                 "eval_s": round(time.perf_counter() - t0, 2), "load_average_1min": load_average()}
        self.points.append(point)
        logs.update(test_accuracy=scores["test_accuracy"], cumulative_train_s=self.train_s)
        print(f"  b  epoch {epoch:2d}  train {self.train_s:7.1f} s  "
              f"{logs['samples_per_s']:6.0f} samples/s  loss {logs['train_loss']:.4f}  "
              f"test accuracy {scores['test_accuracy']:.4f}", flush=True)
        if self.budget_s is not None and self.train_s >= self.budget_s:
            trainer.stop_training = True
        self._cpu_mark = time.process_time()


class Shifted:
    """A loader whose images are shifted by up to ``pixels`` in each direction, per image, each
    epoch afresh (zeros shifted in): the classic MNIST augmentation. Other items pass unchanged."""

    def __init__(self, loader: Any, pixels: int, seed: int) -> None:
        self.loader, self.pixels, self.seed = loader, int(pixels), seed
        self.batch_kind = loader.batch_kind
        self.gen = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.loader)

    def set_epoch(self, epoch: int) -> None:
        self.loader.set_epoch(epoch)
        self.gen.manual_seed(self.seed * 1000 + epoch)

    def __iter__(self):
        for batch in self.loader:
            yield tuple(self.shift(x) if x.dim() == 4 else x for x in batch)

    def shift(self, x: torch.Tensor) -> torch.Tensor:
        p, (b, c, h, w) = self.pixels, x.shape
        padded = torch.nn.functional.pad(x, (p, p, p, p))
        dy, dx = (torch.randint(0, 2 * p + 1, (2, b), generator=self.gen))
        rows = (dy[:, None] + torch.arange(h))[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w))[:, None, None, :]
        return padded[torch.arange(b)[:, None, None, None], torch.arange(c)[None, :, None, None],
                      rows, cols]


def build_b(protocol: Protocol, config: dict[str, Any], seed: int):
    """Model, loss, loader and optimizer factory of part b's configuration."""
    torch.manual_seed(seed)
    encoder = create_encoder("convnet", in_channels=1, **config["encoder"])
    adapter = ImageAdapter(1, 28).fit(protocol.train.x)
    model = sk.SiameseNetwork(encoder, distance=config["distance"], adapter=adapter)
    if config["loss"] == "contrastive":
        loss = ContrastiveLoss(margin=config["margin"])
        loader = make_loader("pairs", protocol.train, config["batch_size"], seed=seed)
        if config.get("shift"):
            loader = Shifted(loader, config["shift"], seed)
    elif config["loss"] in ("batch_hard", "batch_all"):
        cls = BatchHardTripletLoss if config["loss"] == "batch_hard" else BatchAllTripletLoss
        loss = cls(margin=config["margin"], distance=config["distance"])
        loader = make_loader("labelled", protocol.train, config["batch_size"], seed=seed,
                             samples_per_class=config["samples_per_class"])
        if config.get("shift"):
            loader = Shifted(loader, config["shift"], seed)
    else:
        raise ValueError("loss: 'contrastive', 'batch_hard' or 'batch_all', "
                         f"got {config['loss']!r}")

    def optimizer(params):
        return torch.optim.AdamW(params, lr=config["lr"], weight_decay=config["weight_decay"])

    return model, loss, loader, optimizer


def b_summary(points: list[dict[str, Any]], threads: int) -> dict[str, Any]:
    """Part b's figures from its curve, and whether the target was met and by how much."""
    within = [p for p in points if p["train_s"] <= B_TARGETS["max_train_s"]]
    reached = [p for p in points if p["test_accuracy"] >= B_TARGETS["min_test_accuracy"]]
    final = points[-1]
    summary = {
        "final_test_accuracy": final["test_accuracy"],
        "final_val_accuracy": final["val_accuracy"],
        "final_train_s": final["train_s"],
        "final_train_cpu_s": final["train_cpu_s"],
        "best_test_accuracy_within_300s": max((p["test_accuracy"] for p in within), default=None),
        "first_reached_995_at_s": reached[0]["train_s"] if reached else None,
        "median_samples_per_s": statistics.median(p["epoch_samples_per_s"] for p in points),
        "train_s_per_epoch": round(final["train_s"] / final["epoch"], 3),
        "train_cpu_s_per_epoch": round(final["train_cpu_s"] / final["epoch"], 3),
    }
    # The run's own end is what counts (the schedule finishes there); an earlier curve point that
    # crosses 99.5% is reported, not used: picking the best point would select on test data.
    summary["target_met"] = (final["test_accuracy"] >= B_TARGETS["min_test_accuracy"]
                             and final["train_s"] <= B_TARGETS["max_train_s"])
    summary["accuracy_short_by"] = round(max(0.0, B_TARGETS["min_test_accuracy"]
                                             - final["test_accuracy"]), 5)
    summary["time_over_by_s"] = round(max(0.0, final["train_s"] - B_TARGETS["max_train_s"]), 2)
    if threads == 1:
        # One thread's CPU time is about the wall time the same run takes alone on the machine
        # (no waiting for the core): an estimate, labelled so, not a measurement.
        summary["quiet_machine_estimate_train_s"] = final["train_cpu_s"]
        summary["quiet_machine_estimate_meets_time"] = (
            final["train_cpu_s"] <= B_TARGETS["max_train_s"])
    return summary


def part_b(protocol: Protocol, config: dict[str, Any], seed: int,
           budget_s: float | None) -> dict[str, Any]:
    model, loss, loader, optimizer = build_b(protocol, config, seed)
    curve = EpochCurve(protocol, config["distance"], budget_s, config.get("eval_every", 1))
    trainer = sk.Trainer(model, loss, optimizer=optimizer, scheduler=config["schedule"],
                         epochs=config["epochs"], progress=False, seed=seed, callbacks=[curve])
    trainer.fit(loader)
    points = curve.points
    summary = b_summary(points, torch.get_num_threads())
    params = sum(p.numel() for p in model.encoder.parameters())
    return {"config": config, "encoder_parameters": params, "targets": B_TARGETS,
            "budget_s": budget_s, "curve": points, "summary": summary}


def plot_b(curve: list[dict[str, Any]], png: Path, threads: int) -> None:
    """The accuracy-vs-training-time curve; with 1 thread also against its CPU time, which is
    about what the run would take alone on the machine (an estimate, labelled so)."""
    loads = [p["load_average_1min"] for p in curve if p.get("load_average_1min") is not None]
    load = f", load {statistics.median(loads):.1f}" if loads else ""
    curves = {f"wall time ({threads} thread(s){load})": ([p["train_s"] for p in curve],
                                                          [p["test_accuracy"] for p in curve])}
    if threads == 1:
        curves["CPU time of the same run (quiet-machine estimate)"] = (
            [p["train_cpu_s"] for p in curve], [p["test_accuracy"] for p in curve])
    sk.plots.plot_accuracy_vs_time(
        curves, png, ylabel="test pair accuracy",
        title="MNIST pairs, siamkit convnet (default preset): accuracy vs training time")


# ---- main -------------------------------------------------------------------------------------

def _rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 5) if isinstance(v, float) else v for k, v in d.items()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small slice, in seconds")
    parser.add_argument("--part", choices=("a", "b", "all"), default="all")
    parser.add_argument("--repeats", type=int, default=None, help="part a runs per runner (3)")
    parser.add_argument("--batch-size", type=int, default=16, help="part a batch (16)")
    parser.add_argument("--epochs", type=int, default=None, help="part b epochs (B_CONFIG)")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="part b: stop after the epoch that passes this training time")
    parser.add_argument("--b-config", type=json.loads, default=None,
                        help="part b: JSON object overriding entries of B_CONFIG")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (torch's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None, help="folder with mnist/ (or SIAMKIT_DATA)")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON path (results/mnist_pairs.json; --quick: "
                             "mnist_pairs-quick.json)")
    args = parser.parse_args(argv)
    args.output = args.output or RESULTS / ("mnist_pairs-quick.json" if args.quick
                                            else "mnist_pairs.json")
    set_threads(args.threads)
    protocol = load_protocol(args.data_dir, args.quick)
    machine = machine_info()
    print(f"mnist_pairs: {protocol.data}, {len(protocol.train)} training images, "
          f"{machine['cpu_model']}, torch {machine['torch']} with {machine['torch_threads']} "
          f"threads, load {machine['load_average_1min']}", flush=True)
    result: dict[str, Any] = {"benchmark": "mnist_pairs", "quick": args.quick,
                              "command": command_line("benchmarks/mnist_pairs.py", argv),
                              "machine": machine, "protocol": protocol.describe(),
                              "evaluation": METHOD}
    if args.part in ("a", "all"):
        repeats = args.repeats or (1 if args.quick else 3)
        result["a"] = part_a(protocol, repeats, args.batch_size, args.seed)
    if args.part in ("b", "all"):
        config = dict(B_CONFIG)
        if args.quick:
            config.update(encoder={"preset": "default", "channels": [8, 16], "embedding_dim": 16},
                          epochs=2, eval_every=1)
        config.update(args.b_config or {})
        if args.epochs:
            config["epochs"] = args.epochs
        result["b"] = part_b(protocol, config, args.seed, args.budget_s)
        png = args.output.with_name(args.output.stem + "_b.png")
        plot_b(result["b"]["curve"], png, machine["torch_threads"])
        result["b"]["plot"] = png.name
    result["machine"]["load_average_1min_at_end"] = load_average()
    for part in ("a", "b"):  # each part keeps the command and machine state that produced it
        if part in result:
            result[part]["command"] = result["command"]
            result[part]["machine"] = result["machine"]
    result = _merge_with_saved(result, args.output)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print_tables(result)
    return result


def _merge_with_saved(result: dict[str, Any], path: Path) -> dict[str, Any]:
    """A run of one part keeps the other part of a saved full run (each part has its own command
    and machine state), so that the two parts can be timed at different quiet moments."""
    if not path.exists() or result["quick"]:
        return result
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return result
    if saved.get("quick"):
        return result
    for part in ("a", "b"):
        if part not in result and part in saved:
            result[part] = saved[part]
            result[part].setdefault("command", saved.get("command"))
            result[part].setdefault("machine", saved.get("machine"))
    return result


def print_tables(result: dict[str, Any]) -> None:
    if "a" in result:
        a, s = result["a"], result["a"]["summary"]
        print("\nPart a: Keras tower, batch 16, 1 epoch (medians of "
              f"{a['repeats']} interleaved runs)")
        print(f"{'runner':24s} {'pairs/s':>10s} {'test acc':>9s}")
        print(f"{'Keras 3 (issue 7)':24s} {KERAS_REFERENCE['pairs_per_s']:10.0f} "
              f"{KERAS_REFERENCE['test_accuracy']:9.4f}")
        for name, med in a["medians"].items():
            print(f"{name:24s} {med['pairs_per_s']:10.0f} {med['test_accuracy']:9.4f}")
        print(f"siamkit / plain {s['ratio_to_plain']:.3f}, / best plain "
              f"{s['ratio_to_best_plain']:.3f}, / Keras {s['speedup_over_keras']:.2f}x; "
              f"targets met: {s['targets_met']}")
    if "b" in result:
        b = result["b"]
        print(f"\nPart b: {b['config']}")
        print(f"{'epoch':>5s} {'train s':>9s} {'test acc':>9s}")
        for p in b["curve"]:
            print(f"{p['epoch']:5d} {p['train_s']:9.1f} {p['test_accuracy']:9.4f}")
        print(f"summary: {b['summary']}")


if __name__ == "__main__":
    main()
