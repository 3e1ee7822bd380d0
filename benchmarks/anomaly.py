"""Benchmark: MNIST one-class-out anomaly detection, Siamese embeddings beside raw-pixel kNN.

For each digit d in turn, d is the anomaly and the nine others are normal. A Siamese network (small
convnet, batch-hard triplet loss, Hermans, Beyer & Leibe 2017) is trained on normal training images
only, with siamkit's Trainer; its embeddings of ``--references`` normal training images form the
gallery. The anomaly score of an image is its mean euclidean distance to its k = 5 nearest
references (higher = more anomalous); the threshold is set on held-out normal training images for a
5 % false-alarm rate. The peer, in the same run, is the same kNN score on raw pixels (scaled to
[0, 1]) with the same references (FAISS exact search). Test: the whole MNIST test set (about 1,000
anomalies, 9,000 normal images). Figures: AUROC (anomaly = positive class, scikit-learn) per digit
and mean, and the false-alarm and detection rates on test at the validation threshold.

Training budget per digit: ``--epochs`` passes over ``--train-images`` normal images in P x K
batches of 8 classes x 16 images (defaults: 2 x 12,000 images, about 190 steps; well under a minute
on two quiet cores).

    SIAMKIT_DATA=/path/to/data PYTHONPATH=src python benchmarks/anomaly.py         # ~10 minutes
    PYTHONPATH=src python benchmarks/anomaly.py --quick   # scikit-learn's 8x8 digits, two classes

Results go to benchmarks/results/anomaly.json (quick runs to anomaly-quick.json). Timings from a
machine where others are working are not to be trusted; re-run on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine_info  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="scikit-learn's 8x8 digits, two anomaly classes, tiny training",
    )
    p.add_argument("--data-dir", default=None, help="folder with mnist/ (default: $SIAMKIT_DATA)")
    p.add_argument("--digits", default="0,1,2,3,4,5,6,7,8,9", help="anomaly digits to run")
    p.add_argument("--train-images", type=int, default=12000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--references", type=int, default=20000)
    p.add_argument("--val-images", type=int, default=2000)
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--false-alarm-rate", type=float, default=0.05)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None)
    return p.parse_args(argv)


def pixel_knn_scores(ref, queries, k: int):
    """Mean euclidean distance to the k nearest references, raw pixels in [0, 1] (exact FAISS)."""
    import faiss
    import numpy as np

    def flat(x):
        return np.ascontiguousarray(x.reshape(len(x), -1).numpy().astype(np.float32) / 255.0)

    index = faiss.IndexFlatL2(int(np.prod(ref.shape[1:])))
    index.add(flat(ref))
    d2, _ = index.search(flat(queries), k)
    return np.sqrt(np.maximum(d2, 0.0)).mean(axis=1)


def rates(scores, is_anomaly, threshold):
    flagged = scores > threshold
    return {
        "false_alarm_rate": round(float(flagged[~is_anomaly].mean()), 4),
        "detection_rate": round(float(flagged[is_anomaly].mean()), 4),
    }


def run_digit(digit: int, train, test, args) -> dict:
    import numpy as np
    import torch
    from sklearn.metrics import roc_auc_score

    import siamkit as sk
    from siamkit.adapters import ImageAdapter
    from siamkit.anomaly import AnomalyDetector, false_alarm_threshold
    from siamkit.data import make_loader

    rng = np.random.default_rng([args.seed, digit])
    normal = np.flatnonzero(train.y.numpy() != digit)
    order = rng.permutation(normal)
    val_idx = order[: args.val_images]
    rest = order[args.val_images :]
    fit_idx, ref_idx = rest[: args.train_images], rest[: args.references]
    fit = train.subset(fit_idx, compact_classes=True, name=f"mnist-without-{digit}")
    val_x, ref_x = train.x[val_idx], train.x[ref_idx]

    torch.manual_seed(args.seed)
    encoder = sk.encoders.create_encoder("convnet", channels=args.channels, embedding_dim=32)
    model = sk.SiameseNetwork(
        encoder, distance="euclidean", adapter=ImageAdapter(1, tuple(train.x.shape[2:])).fit(fit.x)
    )
    loader = make_loader("labelled", fit, batch_size=128, seed=args.seed, samples_per_class=16)
    start = time.perf_counter()
    sk.Trainer(
        model,
        sk.losses.BatchHardTripletLoss(margin=0.3),
        epochs=args.epochs,
        lr=2e-3,
        scheduler="cosine",
        seed=args.seed,
        progress=False,
    ).fit(loader)
    train_seconds = time.perf_counter() - start
    model.eval()

    is_anomaly = test.y.numpy() == digit
    det = AnomalyDetector(model, k=args.k, target_false_alarm_rate=args.false_alarm_rate).fit(
        ref_x, val_x
    )
    siam = det.score(test.x)
    pix = pixel_knn_scores(ref_x, test.x, args.k)
    pix_threshold = false_alarm_threshold(
        pixel_knn_scores(ref_x, val_x, args.k), args.false_alarm_rate
    )
    out = {
        "siamese": {
            "auroc": round(float(roc_auc_score(is_anomaly, siam)), 4),
            **rates(siam, is_anomaly, det.threshold_),
            "train_seconds": round(train_seconds, 1),
        },
        "pixels_knn": {
            "auroc": round(float(roc_auc_score(is_anomaly, pix)), 4),
            **rates(pix, is_anomaly, pix_threshold),
        },
        "n_test_anomalies": int(is_anomaly.sum()),
        "n_test_normal": int((~is_anomaly).sum()),
        "train_steps": len(loader) * args.epochs,
    }
    print(
        f"digit {digit}: AUROC siamese {out['siamese']['auroc']:.3f}  "
        f"pixels kNN {out['pixels_knn']['auroc']:.3f}  (train {train_seconds:.0f} s; "
        f"test false alarms {out['siamese']['false_alarm_rate']:.3f}, "
        f"detections {out['siamese']['detection_rate']:.3f})",
        flush=True,
    )
    return out


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    import numpy as np
    import torch

    from siamkit.data import load_dataset

    torch.set_num_threads(args.threads)
    if args.quick:
        data = load_dataset("digits", "all")
        order = np.random.default_rng(0).permutation(len(data))
        train, test = data.subset(order[:1200]), data.subset(order[1200:])
        args.digits, args.train_images, args.epochs, args.references, args.val_images = (
            "0,1",
            800,
            1,
            800,
            200,
        )
        args.channels, source = [8, 16], "scikit-learn digits 8x8 (quick)"
    else:
        train, test = (
            load_dataset("mnist", "train", args.data_dir),
            load_dataset("mnist", "test", args.data_dir),
        )
        args.channels, source = (
            [16, 32, 64],
            "MNIST train (normal references, training, validation) / test",
        )
    digits = [int(d) for d in args.digits.split(",")]
    t0 = time.perf_counter()
    per_digit = {str(d): run_digit(d, train, test, args) for d in digits}
    mean = {
        m: round(float(np.mean([r[m]["auroc"] for r in per_digit.values()])), 4)
        for m in ("siamese", "pixels_knn")
    }
    print(f"mean AUROC: siamese {mean['siamese']:.3f}, pixels kNN {mean['pixels_knn']:.3f}")
    report = {
        "benchmark": "anomaly",
        "quick": args.quick,
        "data": source,
        "settings": {
            "k": args.k,
            "aggregate": "mean",
            "false_alarm_rate": args.false_alarm_rate,
            "train_images": args.train_images,
            "epochs": args.epochs,
            "references": args.references,
            "val_images": args.val_images,
            "encoder": {"name": "convnet", "channels": args.channels, "embedding_dim": 32},
            "loss": "batch_hard margin 0.3",
            "batch": "P x K = 8 x 16",
            "threads": args.threads,
            "seed": args.seed,
        },
        "mean_auroc": mean,
        "siamese_over_pixels_auroc": round(mean["siamese"] / max(mean["pixels_knn"], 1e-9), 3),
        "per_digit": per_digit,
        "machine": machine_info(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    out = (
        Path(args.out)
        if args.out
        else RESULTS / ("anomaly-quick.json" if args.quick else "anomaly.json")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return report


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
