"""Evaluation with the real SiameseNetwork: calibration survives save/load; one-shot; evaluate."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from siamkit import SiameseNetwork
from siamkit.encoders import create_encoder
from siamkit.evaluation import (
    calibrate,
    embed_all,
    evaluate,
    one_shot_accuracy,
    one_shot_accuracy_from_embeddings,
    pair_scores,
)


def _model(head=None):
    torch.manual_seed(0)
    enc = create_encoder("mlp", input_dim=6, embedding_dim=8, hidden_dims=(16,), dropout=0.2)
    return SiameseNetwork(enc, distance="euclidean", head=head)


def _pairs(n=160, seed=0):
    g = torch.Generator().manual_seed(seed)
    x1 = torch.randn(n, 6, generator=g)
    y = torch.randint(0, 2, (n,), generator=g)
    near = x1 + 0.2 * torch.randn(n, 6, generator=g)
    return x1, torch.where(y[:, None] == 1, near, torch.randn(n, 6, generator=g)), y


def test_calibrated_threshold_is_saved_and_used_by_verify(tmp_path):
    model = _model()
    model.train()  # dropout on: calibration must still score in eval mode
    x1, x2, y = _pairs()
    calibrate(model, x1, x2, y, rule="eer")
    assert model.training
    info = model.threshold_info
    assert info["value"] == model.threshold and info["rule"] == "eer"
    assert 0.0 <= info["rule_value"] < 0.3  # EER on well-separated validation pairs
    loaded = SiameseNetwork.load(model.save(tmp_path / "m"))
    assert loaded.threshold == model.threshold
    assert loaded.threshold_info["rule"] == "eer"
    assert loaded.threshold_info["chosen_on"] == info["chosen_on"]
    assert loaded.threshold_info["validation_metrics"] == pytest.approx(info["validation_metrics"])
    t1, t2, ty = _pairs(seed=1)
    scores = pair_scores(loaded, t1, t2)
    assert np.array_equal(loaded.verify(t1, t2).numpy(), scores >= loaded.threshold)


def test_evaluate_a_real_model(tmp_path):
    model = _model()
    calibrate(model, *_pairs(seed=0))
    x1, x2, y = _pairs(seed=1)
    metrics, table = evaluate(tmp_path, model=model, x1=x1, x2=x2, labels=y, plots=False)
    assert metrics["threshold"] == model.threshold
    assert metrics["roc_auc"] > 0.8
    assert "rule: accuracy" in table


def _clusters(n_classes=8, per_class=6, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), per_class)
    x = rng.normal(size=(n_classes, 6))[y] * 4 + 0.01 * rng.normal(size=(len(y), 6))
    return torch.tensor(x, dtype=torch.float32), y


def test_one_shot_with_a_real_model():
    model = _model()
    x, y = _clusters()
    r = one_shot_accuracy(model, x, y, n_way=5, episodes=200, batch_size=7)
    assert r["accuracy"] == 1.0  # tight clusters stay apart through a random MLP


def test_one_shot_head_scoring_uses_head_probabilities():
    model = _model(head="l1_sigmoid")
    x, y = _clusters(seed=1)
    r = one_shot_accuracy(model, x, y, n_way=4, k_shot=2, episodes=150, scoring="head")
    emb = embed_all(model, x)
    model.eval()
    expected = one_shot_accuracy_from_embeddings(
        emb, y, model.score_embeddings, n_way=4, k_shot=2, episodes=150
    )
    assert r["accuracy"] == expected["accuracy"]
    d = one_shot_accuracy(model, x, y, n_way=4, k_shot=2, episodes=150, scoring="distance")
    assert d["accuracy"] == 1.0
