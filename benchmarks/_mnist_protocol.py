"""The MNIST pair-verification protocol of the Keras example, shared by the MNIST benchmarks.

The Keras example "Image similarity estimation using a Siamese Network with a contrastive loss"
(keras.io/examples/vision/siamese_contrastive): MNIST's 60,000 training images split in order into
30,000 for training and 30,000 for validation; for every anchor one positive pair (a sample of its
class) and one negative pair (a sample of a random other class), so 60,000 training pairs, 60,000
validation pairs and, from the 10,000 test images, 20,000 test pairs, half of them positive.

siamkit draws the pairs with :func:`siamkit.data.balanced_pair_indices` (labels **1 = same**); the
one difference from the example's ``make_pairs`` is that a positive partner is never the anchor
itself. Accuracy is measured as the issue asks: embeddings of every validation and test image,
score = -(euclidean distance) (higher = more similar), the threshold chosen for accuracy on the
validation pairs and applied to the test pairs
(:func:`siamkit.evaluation.evaluate_with_calibration`).
The Keras example instead learns BatchNorm + Dense(1) + sigmoid on the distance and thresholds the
sigmoid at 0.5; siamkit uses the distance itself.

Without the MNIST files, ``quick=True`` falls back to scikit-learn's 8x8 digits upscaled to 28x28
(always available) so that smoke tests run everywhere; the result says which data it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from siamkit.data import LabelledData, balanced_pair_indices, load_dataset
from siamkit.distances import get_distance
from siamkit.errors import SiamkitError
from siamkit.evaluation import evaluate_with_calibration

VAL_PAIR_SEED, TEST_PAIR_SEED = 1001, 1002  # fixed: every run is scored on the same pairs
QUICK_SIZES = (2000, 1000, 1000)  # train anchors, validation anchors, test anchors under --quick


@dataclass
class Protocol:
    train: LabelledData
    val: LabelledData
    test: LabelledData
    val_pairs: tuple[Tensor, Tensor, Tensor]
    test_pairs: tuple[Tensor, Tensor, Tensor]
    data: str

    def describe(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "train_images": len(self.train),
            "train_pairs_per_epoch": 2 * len(self.train),
            "val_images": len(self.val),
            "val_pairs": len(self.val_pairs[2]),
            "test_images": len(self.test),
            "test_pairs": len(self.test_pairs[2]),
            "pairs": "per anchor one positive and one negative (random other class); "
                     "labels 1 = same; training pairs redrawn each epoch",
        }


def load_protocol(data_dir: Any = None, quick: bool = False) -> Protocol:
    """The protocol's splits and fixed evaluation pairs (MNIST; under ``quick`` a small slice)."""
    try:
        train_all = load_dataset("mnist", "train", data_dir, download=False, progress=False)
        test = load_dataset("mnist", "test", data_dir, download=False, progress=False)
        data = "mnist"
    except SiamkitError as exc:
        if not quick:
            raise SiamkitError(f"{exc}\nThe MNIST files are needed: pass --data-dir or set "
                               "SIAMKIT_DATA to a folder holding mnist/*.gz") from None
        train_all, test = _digits_as_mnist()
        data = "digits-upscaled (synthetic stand-in: MNIST files not found)"
    half = len(train_all) // 2
    train = train_all.subset(torch.arange(half), name="mnist/train[:30000]")
    val = train_all.subset(torch.arange(half, len(train_all)), name="mnist/train[30000:]")
    if quick:
        n_train, n_val, n_test = QUICK_SIZES
        train = train.subset(torch.arange(min(n_train, len(train))))
        val = val.subset(torch.arange(min(n_val, len(val))))
        test = test.subset(torch.arange(min(n_test, len(test))))
    return Protocol(train, val, test, balanced_pair_indices(val.y, VAL_PAIR_SEED),
                    balanced_pair_indices(test.y, TEST_PAIR_SEED), data)


def _digits_as_mnist() -> tuple[LabelledData, LabelledData]:
    digits = load_dataset("digits", "all")
    x = F.interpolate(digits.x.float(), size=(28, 28), mode="bilinear", align_corners=False)
    x = x.round().clamp(0, 255).to(torch.uint8)
    cut = 1200
    train = LabelledData(x[:cut], digits.y[:cut], digits.classes, "digits28/train")
    test = LabelledData(x[cut:], digits.y[cut:], digits.classes, "digits28/test")
    return train, test


@torch.no_grad()
def embed_images(encode: Callable[[Tensor], Tensor], x: Tensor, batch_size: int = 1000) -> Tensor:
    """Embeddings of uint8 images ``x`` through ``encode`` (called on uint8 batches), in batches,
    on the CPU (a model on a GPU returns GPU tensors, and the scoring below goes through NumPy)."""
    return torch.cat([encode(x[i:i + batch_size]).float().cpu()
                      for i in range(0, len(x), batch_size)])


def pair_scores(embeddings: Tensor, pairs: tuple[Tensor, Tensor, Tensor],
                distance: str = "euclidean") -> Tensor:
    """Scores of index pairs, higher = more similar: -distance (cosine: the cosine similarity)."""
    i1, i2, _ = pairs
    fn = get_distance(distance)
    return fn.to_score(fn.paired(embeddings[i1], embeddings[i2]))


def evaluate(encode: Callable[[Tensor], Tensor], protocol: Protocol,
             distance: str = "euclidean") -> dict[str, Any]:
    """Test accuracy at the threshold chosen for accuracy on the validation pairs.

    ``encode`` maps a uint8 image batch to embeddings in evaluation mode (no gradients);
    ``distance`` is the one the model was trained with (a siamkit distance name)."""
    val_x, test_x = embed_images(encode, protocol.val.x), embed_images(encode, protocol.test.x)
    val_scores = pair_scores(val_x, protocol.val_pairs, distance)
    test_scores = pair_scores(test_x, protocol.test_pairs, distance)
    result = evaluate_with_calibration(val_scores.numpy(), protocol.val_pairs[2].numpy(),
                                       test_scores.numpy(), protocol.test_pairs[2].numpy())
    return {
        "test_accuracy": round(float(result["test"]["accuracy"]), 5),
        "val_accuracy": round(float(result["validation"]["accuracy"]), 5),
        "test_roc_auc": round(float(result["test"]["roc_auc"]), 5),
        "threshold_score": round(float(result["threshold"]), 5),
    }
