"""The demo experiment: a Siamese convnet on scikit-learn's built-in 8x8 digits (no download).

Balanced same/different pairs and the contrastive loss (Hadsell, Chopra & LeCun 2006; labels
1 = same), the threshold chosen on validation pairs, accuracy, AUC and EER on test pairs, 10-way
one-shot accuracy on the test digits, and a report. Seeded: the same run gives the same figures.
Sized to finish well within two minutes on two CPU cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..config import ExperimentConfig, parse_config

DEMO_TOML = """\
name = "siamkit demo: digits"
description = "A Siamese convnet on scikit-learn's 8x8 digits, contrastive loss on balanced pairs"

[data]
source = "dataset"
name = "digits"          # built in: no download, no data folder
val_fraction = 0.2
test_fraction = 0.2

[encoder]
name = "convnet"
args = { channels = [32, 64], embedding_dim = 32 }

[model]
distance = "euclidean"

[loss]
name = "contrastive"     # y * d^2 / 2 + (1 - y) * max(0, margin - d)^2 / 2, y = 1 for same
args = { margin = 1.0 }

[batches]
batch_size = 64

[training]
epochs = 12
lr = 0.003
scheduler = "cosine"
seed = 0
device = "cpu"
threads = 1              # a model this small runs fastest on one thread, busy machine or not

[evaluation]
threshold_rule = "accuracy"
n_way = 10
k_shot = 1
episodes = 1000
"""


def demo_config(overrides: Iterable[str] = ()) -> ExperimentConfig:
    """The demo's :class:`ExperimentConfig` (``section.key=value`` overrides applied)."""
    from ..config.toml_io import tomllib

    return parse_config(tomllib.loads(DEMO_TOML), "siamkit demo", overrides)


def run_demo(out_dir: str | os.PathLike = "siamkit-demo", overrides: Iterable[str] = ()):
    """Run the demo into ``out_dir`` (replacing an earlier demo there); returns the RunResult."""
    from .run import run_experiment

    return run_experiment(demo_config(overrides), out_dir, overwrite=True)
