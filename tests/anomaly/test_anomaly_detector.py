"""AnomalyDetector against brute-force nearest neighbours (scikit-learn), thresholds, saving."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

import siamkit as sk
from siamkit.adapters import VectorAdapter
from siamkit.anomaly import AnomalyDetector
from siamkit.errors import ConfigError, DataError, ModelFileError, NotCalibratedError


def vector_model(
    distance: str = "euclidean", head: str | None = None, seed: int = 0
) -> sk.SiameseNetwork:
    torch.manual_seed(seed)
    enc = sk.encoders.create_encoder("mlp", input_dim=5, embedding_dim=4, hidden_dims=[16])
    return sk.SiameseNetwork(enc, distance=distance, head=head, adapter=VectorAdapter(5)).eval()


def blobs(n: int, shift: float = 0.0, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).normal(size=(n, 5)) + shift).astype(np.float32)


@pytest.mark.parametrize("distance", ["euclidean", "cosine", "manhattan"])
@pytest.mark.parametrize("aggregate", ["mean", "kth"])
def test_scores_are_brute_force_neighbour_distances(distance, aggregate):
    model = vector_model(distance)
    normal, queries = blobs(300), blobs(40, shift=1.0, seed=1)
    det = AnomalyDetector(model, k=4, aggregate=aggregate).fit(normal, blobs(50, seed=2))
    ref, q = model.encode(normal).numpy(), model.encode(queries).numpy()
    metric = {"euclidean": "euclidean", "cosine": "cosine", "manhattan": "manhattan"}[distance]
    dist, _ = (
        NearestNeighbors(n_neighbors=4, metric=metric, algorithm="brute").fit(ref).kneighbors(q)
    )
    expected = dist.mean(axis=1) if aggregate == "mean" else dist[:, -1]
    np.testing.assert_allclose(det.score(queries), expected, rtol=1e-4, atol=1e-5)


def test_head_model_scores_are_one_minus_the_best_probabilities():
    model = vector_model(head="l1_sigmoid")
    normal, queries = blobs(200), blobs(10, shift=2.0, seed=1)
    det = AnomalyDetector(model, k=3).fit(normal, blobs(40, seed=2))
    with torch.no_grad():
        p = model.pairwise_scores(model.encode(queries), model.encode(normal)).numpy()
    expected = 1 - np.sort(p, axis=1)[:, ::-1][:, :3].mean(axis=1)
    np.testing.assert_allclose(det.score(queries), expected, rtol=1e-4, atol=1e-5)


def test_higher_scores_mean_more_anomalous_and_the_rate_holds_on_validation():
    det = AnomalyDetector(vector_model(), k=5, target_false_alarm_rate=0.1).fit(
        blobs(400), blobs(200, seed=3)
    )
    assert det.val_false_alarm_rate_ <= 0.1
    normal_test, anomalies = blobs(300, seed=4), blobs(300, shift=4.0, seed=5)
    scores = np.concatenate([det.score(normal_test), det.score(anomalies)])
    labels = np.r_[np.zeros(300), np.ones(300)]  # 1 = anomaly here: the score ranks anomalies high
    assert roc_auc_score(labels, scores) > 0.95
    assert det.predict(anomalies).mean() > 0.9
    assert abs(det.predict(normal_test).mean() - 0.1) < 0.06


def test_without_validation_data_a_share_is_held_out_and_not_enrolled():
    normal = blobs(100)
    det = AnomalyDetector(vector_model(), k=3, val_fraction=0.25, seed=1).fit(
        normal, labels=["a"] * 100
    )
    assert det.n_references_ == 75 and len(det.val_scores_) == 25
    assert (det.val_scores_ > 0).all()  # none of them found itself in the gallery
    again = AnomalyDetector(vector_model(), k=3, val_fraction=0.25, seed=1).fit(normal)
    np.testing.assert_array_equal(det.val_scores_, again.val_scores_)


def test_save_and_load(tmp_path):
    model = vector_model()
    det = AnomalyDetector(model, k=2, aggregate="kth").fit(blobs(50), blobs(30, seed=1))
    det.save(tmp_path / "det")
    loaded = AnomalyDetector.load(tmp_path / "det", model)
    assert (loaded.k, loaded.aggregate, loaded.threshold_) == (2, "kth", det.threshold_)
    q = blobs(5, shift=1, seed=9)
    np.testing.assert_allclose(loaded.score(q), det.score(q))
    with pytest.raises(ConfigError):  # a different model did not build this gallery
        AnomalyDetector.load(tmp_path / "det", vector_model(seed=1))
    with pytest.raises(ModelFileError, match="anomaly.json"):
        AnomalyDetector.load(tmp_path, model)
    (tmp_path / "det" / "anomaly.json").write_text("{}")
    with pytest.raises(ModelFileError, match="not a valid detector"):
        AnomalyDetector.load(tmp_path / "det", model)


def test_bad_input():
    model = vector_model()
    with pytest.raises(NotCalibratedError):
        AnomalyDetector(model).score(blobs(2))
    with pytest.raises(DataError, match="need at least k"):
        AnomalyDetector(model, k=10).fit(blobs(5), blobs(5))
    with pytest.raises(ConfigError, match="k must be"):
        AnomalyDetector(model, k=0).fit(blobs(5), blobs(5))
    with pytest.raises(ConfigError, match="target_false_alarm_rate"):
        AnomalyDetector(model, target_false_alarm_rate=0).fit(blobs(5), blobs(5))
    with pytest.raises(DataError, match="labels"):
        AnomalyDetector(model, k=1).fit(blobs(5), blobs(5), labels=["a"])
