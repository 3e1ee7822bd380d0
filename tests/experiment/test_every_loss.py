"""Every loss a config can name trains from a config and gives a calibrated model (slow)."""

from __future__ import annotations

import json

import pytest

from siamkit.config import parse_config
from siamkit.registry import LOSSES
from siamkit.experiment import run_experiment

pytestmark = pytest.mark.slow
ON_PAIRS = {"hard_negative", "multiple_negatives_ranking", "cached_multiple_negatives_ranking"}


def _vectors(loss: str) -> dict:
    return {"data": {"modality": "vector", "max_train": 200, "max_val": 100, "max_test": 100},
            "encoder": {"name": "mlp", "args": {"hidden_dims": [16], "embedding_dim": 8}},
            "loss": {"name": loss}, "batches": {"batch_size": 32, "samples_per_class": 4}}


def _texts(loss: str, path: str) -> dict:
    return {"data": {"source": "text_pairs", "path": path},
            "encoder": {"args": {"token_dim": 8, "hidden_dim": 8, "normalize": True}},
            "model": {"distance": "cosine"}, "loss": {"name": loss}, "batches": {"batch_size": 8}}


# a tiny CSV of mixed pairs: in-batch-negative losses keep its label-1 rows and say so, and a
# model of one epoch may choose a poor threshold; the subject here is that every loss trains
@pytest.mark.filterwarnings("ignore:.*batches use only the")
@pytest.mark.filterwarnings("ignore:threshold rule")
@pytest.mark.parametrize("loss", LOSSES.names())
def test_loss_trains_from_a_config(loss, tmp_path, pairs_csv):
    data = _texts(loss, str(pairs_csv)) if loss in ON_PAIRS else _vectors(loss)
    data["training"] = {"epochs": 1, "progress": False}
    data["evaluation"] = {"episodes": 20, "n_way": 5}
    result = run_experiment(parse_config(data, f"{loss}.toml"), tmp_path / "run")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["threshold"]["chosen_on"].startswith("validation pairs")
    assert 0 <= metrics["test"]["accuracy"] <= 1
    assert (result.model.head is not None) == (loss == "binary_cross_entropy")
    assert result.model.threshold is not None
