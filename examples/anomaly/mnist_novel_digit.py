"""Flag a digit the model has never seen: anomaly detection with a Siamese network on MNIST.

    SIAMKIT_DATA=/path/to/data PYTHONPATH=src \
        python examples/anomaly/mnist_novel_digit.py --anomaly 7

(1) Train a small convnet with the batch-hard triplet loss on MNIST training images of every digit
but ``--anomaly``; (2) fit an AnomalyDetector: normal training images enrolled as references in a
gallery, the threshold set on other normal images for a 5 % false-alarm rate; (3) score the test
set: anomaly scores are distances to the 5 nearest normal references, HIGHER = MORE ANOMALOUS;
(4) save the model and the detector and write a few test images, then score them from the shell:

    siamkit anomaly runs/anomaly/model --gallery runs/anomaly/detector runs/anomaly/images
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from sklearn.metrics import roc_auc_score

import siamkit as sk
from siamkit.adapters import ImageAdapter
from siamkit.anomaly import AnomalyDetector
from siamkit.data import load_dataset, make_loader


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--anomaly", type=int, default=7, help="the digit held out as the anomaly")
    p.add_argument("--out", default="runs/anomaly")
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args()
    out = Path(args.out)
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")

    normal = np.random.default_rng(0).permutation(np.flatnonzero(train.y.numpy() != args.anomaly))
    val_idx, ref_idx = normal[:2000], normal[2000:22000]
    fit = train.subset(ref_idx[:12000], compact_classes=True)
    torch.manual_seed(0)
    model = sk.SiameseNetwork(
        sk.encoders.create_encoder("convnet", channels=[16, 32, 64], embedding_dim=32),
        adapter=ImageAdapter(1, 28).fit(fit.x),
    )
    loader = make_loader("labelled", fit, batch_size=128, seed=0, samples_per_class=16)
    sk.Trainer(
        model,
        sk.losses.BatchHardTripletLoss(margin=0.3),
        epochs=args.epochs,
        lr=2e-3,
        scheduler="cosine",
    ).fit(loader)
    model.eval().save(out / "model")

    det = AnomalyDetector(model, k=5, target_false_alarm_rate=0.05).fit(
        train.x[ref_idx], train.x[val_idx]
    )
    scores = det.score(test.x)  # higher = more anomalous
    is_anomaly = test.y.numpy() == args.anomaly
    flagged = scores > det.threshold_
    print(
        f"AUROC {roc_auc_score(is_anomaly, scores):.3f}; at the threshold {det.threshold_:.3f}: "
        f"{flagged[is_anomaly].mean():.1%} of the {args.anomaly}s flagged, "
        f"{flagged[~is_anomaly].mean():.1%} false alarms on the other digits"
    )
    det.save(out / "detector")

    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    for label in (args.anomaly, (args.anomaly + 1) % 10):
        for i in np.flatnonzero(test.y.numpy() == label)[:3]:
            Image.fromarray(test.x[i, 0].numpy()).save(images / f"digit{label}_{i}.png")
    print(
        f"saved {out / 'model'} and {out / 'detector'}; try:\n"
        f"  siamkit anomaly {out / 'model'} --gallery {out / 'detector'} {images}"
    )


if __name__ == "__main__":
    main()
