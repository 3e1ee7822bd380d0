"""Benchmark: a Siamese MLP on scikit-learn's digits as 64-dim vectors (issue 7, experiment 4).

The other classic tutorial: 8x8 digits flattened to 64 numbers, a twin MLP trained with a siamkit
loss, and the embedding judged by a k-nearest-neighbour classifier (scikit-learn's
``KNeighborsClassifier``) beside the same classifier on the raw pixels, on the same split in the
same run. Split: ``load_dataset("digits", split, seed=s)``, stratified 60/20/20 train/val/test;
``k`` (1, 3, 5 or 7) is chosen on the validation split for each representation, then the
classifier is fit on the training split and scored on the test split. Each seed draws its own split
and training; the table shows every seed and the mean.

The model: ``VectorAdapter`` (one mean and spread for all pixels, from the training vectors; or
per-pixel standardisation, ``scaling``) + ``mlp`` encoder, trained with the batch-hard triplet
loss on P x K batches (``make_loader("labelled", ...)``), each training digit moved by up to one
pixel with probability ``shift_p``, by ``siamkit.Trainer``; settings in ``CONFIG``.

    PYTHONPATH=src python benchmarks/digits_mlp.py            # 5 seeds, 1-3 minutes
    PYTHONPATH=src python benchmarks/digits_mlp.py --quick    # 1 seed, a few epochs
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

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402

import siamkit as sk  # noqa: E402
from siamkit.adapters import VectorAdapter  # noqa: E402
from siamkit.data import LabelledData, load_dataset, make_loader  # noqa: E402
from siamkit.encoders import create_encoder  # noqa: E402
from siamkit.losses import BatchHardTripletLoss, ContrastiveLoss  # noqa: E402

from _machine import command_line, machine_info, set_threads  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
# Chosen on the validation kNN accuracy (mean of seeds 0-4; never test). Raw pixels: 0.9856.
# Round 1 (per-pixel standardisation, no shifts): 256-256-32 without dropout, 60 epochs, no
# schedule 0.9767; the batch-all loss 0.9733; 150 epochs with a cosine schedule 0.9783; + dropout
# 0.2 0.9828 (round 1's pick); batch-all margin 0.5 + dropout 0.9783; 512-wide layers with batch
# norm and dropout 0.3 0.9794. Round 2, from round 1's pick ("global" = one mean and spread for
# all pixels, "shift p" = each training digit moved by up to one pixel with probability p):
# global 0.9844; global + shift 0.5 0.9428; global + shift 1.0 0.9244; per-pixel + shift 0.5
# 0.9356; global + shift 0.5, 300 epochs 0.9483; global + shift 0.3 0.9556. Without dropout:
# global 0.9844; global + shift 0.5 0.9894 (dropout 0.1: 0.9800; 300 epochs: 0.9878); global +
# shift 1.0 0.9844; + shift 0.3 0.9900; + shift 0.2 0.9894; + shift 0.3, margin 0.3 0.9894;
# per-pixel + shift 0.5 0.9636; global, 64-d embedding 0.9850; global + shift 0.5, 64-d 0.9878;
# global + shift 0.3, 64-d embedding (this one) 0.9922. Contrastive loss on balanced pairs
# (global, no shifts): margin 1 with dropout 0.2 0.9867, margin 1 without 0.9806, margin 0.5
# without 0.9844.
CONFIG: dict[str, Any] = {
    "encoder": {"hidden_dims": [256, 256], "embedding_dim": 64, "normalize": True,
                "dropout": 0.0},
    "scaling": "global", "shift_p": 0.3,
    "loss": "batch-hard triplet", "margin": 0.2, "distance": "euclidean",
    "classes_per_batch": 10, "samples_per_class": 8, "optimizer": "adam", "lr": 1e-3,
    "weight_decay": 1e-4, "epochs": 150, "schedule": "cosine",
}
KS = (1, 3, 5, 7)
NOTES = ("Round 1 (per-pixel standardisation) reached validation 0.9828 against raw pixels' "
         "0.9856 and missed on test. The adapter's per-pixel standardisation divides the "
         "almost-always-blank border pixels by a near-zero spread, so a little ink there is blown "
         "up, and it made one-pixel shift augmentation fail (validation 0.94). One global mean "
         "and spread for all pixels (VectorAdapter built with 64 equal means/stds) alone gave "
         "0.9844; with it, shifting each training digit by up to one pixel (8 directions, zero "
         "fill) with probability 0.3, no dropout (dropout on top of shifts under-fits: 0.94-0.98) "
         "and a 64-d embedding gave 0.9922 on validation, the pick. The contrastive loss on "
         "balanced pairs did not beat batch-hard (best 0.9867). Every variant and its validation "
         "figure: the CONFIG comment in benchmarks/digits_mlp.py.")


def as_vectors(data: LabelledData) -> LabelledData:
    """8x8 uint8 images -> float32 [N, 64] vectors (the tutorial's input)."""
    return LabelledData(data.x.reshape(len(data), -1).float(), data.y, data.classes,
                        data.name + "/vectors", data.ids)


def knn_accuracy(train_x, train_y, val_x, val_y, test_x, test_y) -> dict[str, Any]:
    """k chosen on validation, then fit on training and scored on test."""
    val_acc = {k: KNeighborsClassifier(k).fit(train_x, train_y).score(val_x, val_y) for k in KS}
    k = max(KS, key=lambda kk: (val_acc[kk], -kk))
    test = KNeighborsClassifier(k).fit(train_x, train_y).score(test_x, test_y)
    return {"k": k, "val_accuracy": round(val_acc[k], 5), "test_accuracy": round(float(test), 5)}


def make_adapter(x: torch.Tensor, scaling: str) -> VectorAdapter:
    """``per-pixel``: standardise each pixel (the adapter's ``fit``); ``global``: one mean and
    one spread over all pixels, so a pixel that is almost always blank is not blown up."""
    dim = x.shape[1]
    if scaling == "per-pixel":
        return VectorAdapter(dim).fit(x)
    if scaling == "global":
        return VectorAdapter(dim, mean=[x.mean().item()] * dim, std=[x.std().item()] * dim)
    raise ValueError(f"scaling: {scaling!r}")


class ShiftedDigits:
    """A ``labelled`` loader whose 8x8 digits are each moved by up to one pixel (zero fill) with
    probability ``p``; seeded per (seed, epoch, batch), like ``AugmentedLoader`` for images."""

    def __init__(self, loader: Any, p: float, seed: int) -> None:
        self.loader, self.p, self.seed, self.epoch = loader, p, seed, 0
        self.batch_kind = loader.batch_kind

    @property
    def sampler(self) -> Any:
        return getattr(self.loader, "sampler", None)

    def __len__(self) -> int:
        return len(self.loader)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self.loader.set_epoch(epoch)

    def __iter__(self):
        for i, (x, y) in enumerate(self.loader):
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch * 10_007 + i)
            b = x.shape[0]
            padded = torch.nn.functional.pad(x.view(b, 8, 8), (1, 1, 1, 1))
            move = torch.randint(0, 9, (b,), generator=gen)
            move[torch.rand(b, generator=gen) >= self.p] = 4  # offset (1, 1) = unmoved
            out = torch.stack([padded[j, m // 3:m // 3 + 8, m % 3:m % 3 + 8]
                               for j, m in enumerate(move.tolist())])
            yield out.reshape(b, 64), y


def train_embedding(train: LabelledData, val: LabelledData, config: dict[str, Any], seed: int):
    torch.manual_seed(seed)
    encoder = create_encoder("mlp", input_dim=train.x.shape[1], **config["encoder"])
    model = sk.SiameseNetwork(encoder, distance=config["distance"],
                              adapter=make_adapter(train.x, config.get("scaling", "per-pixel")))
    k = config["samples_per_class"]
    if config["loss"] == "contrastive":  # balanced pairs, 2 per training digit each epoch
        loader = make_loader("pairs", train, config["classes_per_batch"] * k, seed=seed)
        loss = ContrastiveLoss(config["margin"])
    else:
        loader = make_loader("labelled", train, config["classes_per_batch"] * k, seed=seed,
                             samples_per_class=k)
        loss = BatchHardTripletLoss(config["margin"], config["distance"])
        if config.get("shift_p", 0.0) > 0:
            loader = ShiftedDigits(loader, config["shift_p"], seed)
    trainer = sk.Trainer(model, loss,
                         optimizer=config["optimizer"], lr=config["lr"],
                         weight_decay=config["weight_decay"], epochs=config["epochs"],
                         scheduler=config.get("schedule"), progress=False, seed=seed)
    t0 = time.perf_counter()
    history = trainer.fit(loader)
    return model, time.perf_counter() - t0, history


def run_seed(seed: int, config: dict[str, Any]) -> dict[str, Any]:
    train, val, test = (as_vectors(load_dataset("digits", s, seed=seed))
                        for s in ("train", "val", "test"))
    raw = knn_accuracy(train.x.numpy(), train.y.numpy(), val.x.numpy(), val.y.numpy(),
                       test.x.numpy(), test.y.numpy())
    model, seconds, history = train_embedding(train, val, config, seed)
    emb = {name: model.encode(d.x).numpy() for name, d in
           (("train", train), ("val", val), ("test", test))}
    learned = knn_accuracy(emb["train"], train.y.numpy(), emb["val"], val.y.numpy(),
                           emb["test"], test.y.numpy())
    return {"seed": seed, "train": len(train), "val": len(val), "test": len(test),
            "raw_pixels": raw, "embedding": learned, "train_s": round(seconds, 2),
            "final_train_loss": round(history["train_loss"][-1], 5)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 5 epochs, in seconds")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (5)")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (torch's default)")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON path (results/digits_mlp.json; --quick: digits_mlp-quick.json)")
    args = parser.parse_args(argv)
    args.output = args.output or RESULTS / ("digits_mlp-quick.json" if args.quick
                                            else "digits_mlp.json")
    set_threads(args.threads)
    config = dict(CONFIG)
    config["epochs"] = args.epochs or (5 if args.quick else CONFIG["epochs"])
    seeds = range(args.seeds or (1 if args.quick else 5))
    rows = []
    for seed in seeds:
        row = run_seed(seed, config)
        rows.append(row)
        print(f"seed {seed}: kNN test accuracy raw pixels {row['raw_pixels']['test_accuracy']:.4f} "
              f"(k={row['raw_pixels']['k']}), embedding {row['embedding']['test_accuracy']:.4f} "
              f"(k={row['embedding']['k']}), training {row['train_s']:.1f} s", flush=True)
    raw = [r["raw_pixels"]["test_accuracy"] for r in rows]
    learned = [r["embedding"]["test_accuracy"] for r in rows]
    summary = {
        "raw_pixels_mean": round(statistics.mean(raw), 5),
        "embedding_mean": round(statistics.mean(learned), 5),
        "embedding_minus_raw_mean": round(statistics.mean(np.subtract(learned, raw)), 5),
        "seeds_where_embedding_wins": sum(a > b for a, b in zip(learned, raw)),
        "seeds_tied": sum(a == b for a, b in zip(learned, raw)),
    }
    # Issue 7 asks for the learned embedding beside raw pixels (about 0.98); the target is that
    # the embedding does at least as well, on average over the seeds.
    summary["target"] = "mean kNN test accuracy: embedding >= raw pixels"
    summary["target_met"] = summary["embedding_mean"] >= summary["raw_pixels_mean"]
    summary["short_by"] = round(max(0.0, summary["raw_pixels_mean"] - summary["embedding_mean"]), 5)
    if len(rows) > 1:
        summary["raw_pixels_sd"] = round(statistics.stdev(raw), 5)
        summary["embedding_sd"] = round(statistics.stdev(learned), 5)
    result = {"benchmark": "digits_mlp", "quick": args.quick,
              "command": command_line("benchmarks/digits_mlp.py", argv),
              "machine": machine_info(), "config": config, "knn_ks": list(KS),
              "split": "load_dataset('digits', seed=s): stratified 60/20/20 train/val/test",
              "summary": summary, "notes": NOTES, "seeds": rows}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{'seed':>4s} {'raw kNN':>8s} {'siamkit kNN':>12s}")
    for r in rows:
        print(f"{r['seed']:4d} {r['raw_pixels']['test_accuracy']:8.4f} "
              f"{r['embedding']['test_accuracy']:12.4f}")
    print(f"mean {summary['raw_pixels_mean']:8.4f} {summary['embedding_mean']:12.4f}")
    return result


if __name__ == "__main__":
    main()
