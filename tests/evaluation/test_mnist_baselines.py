"""Raw-pixel baselines on real MNIST (needs SIAMKIT_DATA; skipped where the data are absent).

1-nearest-neighbour with euclidean distance on raw MNIST pixels, test set against training set,
is a published figure: 3.09% error (LeCun, Cortes & Burges, MNIST page, "K-nearest-neighbors,
Euclidean (L2)"), i.e. Recall@1 = 0.9691. retrieval_metrics must reproduce it exactly.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from siamkit.evaluation import one_shot_accuracy_from_embeddings, retrieval_metrics


def _idx(folder, split):
    # A minimal IDX reader so these checks do not depend on the data loaders of another area.
    with gzip.open(folder / f"{split}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(folder / f"{split}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return x.astype(np.float32) / 255.0, y.astype(np.int64)


@pytest.mark.slow
def test_one_nearest_neighbour_reproduces_the_published_error(shared_data):
    x_test, y_test = _idx(shared_data / "mnist", "t10k")
    x_train, y_train = _idx(shared_data / "mnist", "train")
    r = retrieval_metrics(x_test, y_test, x_train, y_train, ks=(1,), at_r=False)
    assert r["recall_at_1"] == pytest.approx(0.9691, abs=2e-4)


def test_one_shot_raw_pixel_baseline(shared_data):
    x, y = _idx(shared_data / "mnist", "t10k")
    r = one_shot_accuracy_from_embeddings(x, y, n_way=10, k_shot=1, episodes=1000, seed=0)
    assert r["chance"] == 0.1
    assert r["ci95"][0] > 0.3  # far above chance, far below a trained network
    assert r["accuracy"] < 0.6
    r5 = one_shot_accuracy_from_embeddings(
        x, y, n_way=10, k_shot=5, episodes=1000, seed=0, aggregate="prototype"
    )
    assert r5["accuracy"] > r["accuracy"]  # more shots help
