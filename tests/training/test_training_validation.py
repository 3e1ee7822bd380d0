"""Validation figures of each batch kind, against hand-worked examples and scikit-learn / scipy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

import siamkit as sk
from siamkit.errors import SiamkitWarning
from siamkit.training import validate
from training_helpers import MNRL, Contrastive, CosineMSE, SoftLabelled, Triplet, batches


class Identity(torch.nn.Module):
    embedding_dim = 2

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))  # the trainer's device lookup needs one

    def forward(self, x):
        return x.float()


def identity_model():
    return sk.SiameseNetwork(Identity())


def test_pair_metrics_match_sklearn_and_the_loss_is_the_sample_weighted_mean():
    model = sk.SiameseNetwork(sk.encoders.create_encoder("mlp", input_dim=4, embedding_dim=3))
    val = batches("pairs", 3, seed=4)
    got = validate(model, Contrastive(), val, "pairs")
    with torch.no_grad():
        scores = torch.cat([model.similarity(x1, x2) for x1, x2, _ in val]).numpy()
        losses = [float(Contrastive()(model.distance(x1, x2), y)) for x1, x2, y in val]
    labels = torch.cat([y for _, _, y in val]).numpy()
    assert got["val_roc_auc"] == pytest.approx(roc_auc_score(labels, scores))
    assert got["val_loss"] == pytest.approx(np.mean(losses))  # equal batch sizes
    assert 0 <= got["val_eer"] <= 1 and 0.5 <= got["val_accuracy"] <= 1


def test_pair_metrics_on_a_hand_worked_example():
    # scores of same pairs 0.9, 0.8, 0.4; different 0.7, 0.3, 0.1: one threshold (0.8) gets 5 of 6
    scores = torch.tensor([[0.9], [0.8], [0.4], [0.7], [0.3], [0.1]])
    labels = torch.tensor([1.0, 1, 1, 0, 0, 0])
    model = sk.SiameseNetwork(Identity())
    # identity embeddings 1 - s against the origin: score = -(1 - s) = s - 1, the same order as s
    got = validate(model, Contrastive(), [(1 - scores, torch.zeros_like(scores), labels)], "pairs")
    assert got["val_roc_auc"] == pytest.approx(8 / 9)
    assert got["val_accuracy"] == pytest.approx(5 / 6)
    assert 0.25 <= got["val_eer"] <= 1 / 3


def test_recall_at_1_of_labelled_embeddings_by_hand():
    # class 0 at x=0 and x=1, class 1 at x=10 and x=1.4: sample 1.0's nearest other is 1.4 (wrong)
    x = torch.tensor([[0.0, 0], [1.0, 0], [10.0, 0], [1.4, 0], [50.0, 0]])
    labels = torch.tensor([0, 0, 1, 1, 2])  # class 2 appears once: left out
    got = validate(identity_model(), SoftLabelled(), [(x, labels)], "labelled")
    # nearest others: 0->1 (right), 1->1.4 (wrong), 10->1.4 (right), 1.4->1 (wrong)
    assert got["val_recall_at_1"] == pytest.approx(2 / 4)


def test_recall_at_1_of_duplicates_counts_across_batches():
    v1 = torch.tensor([[0.0, 0], [5.0, 0], [9.0, 0]])
    v2 = torch.tensor([[0.1, 0], [0.5, 0], [9.1, 0]])  # 5.0 is nearer 9.1 (other batch) than 0.5
    got = validate(identity_model(), MNRL(), [(v1[:2], v2[:2]), (v1[2:], v2[2:])], "duplicates")
    assert got["val_recall_at_1"] == pytest.approx(2 / 3)


def test_triplet_accuracy_and_scored_pairs_spearman():
    a = torch.tensor([[0.0, 0], [0.0, 0], [0.0, 0]])
    p = torch.tensor([[1.0, 0], [3.0, 0], [1.0, 0]])
    n = torch.tensor([[2.0, 0], [2.0, 0], [5.0, 0]])
    got = validate(identity_model(), Triplet(), [(a, p, n)], "triplets")
    assert got["val_triplet_accuracy"] == pytest.approx(2 / 3)
    assert got["val_roc_auc"] == pytest.approx(
        roc_auc_score([1, 1, 1, 0, 0, 0], [-1, -3, -1, -2, -2, -5])
    )
    u, v, t = batches("scored_pairs", 1, n=16)[0]
    model = sk.SiameseNetwork(Identity(), distance="cosine")
    got = validate(model, CosineMSE(), [(u[:, :2], v[:, :2], t)], "scored_pairs")
    want = spearmanr(
        torch.nn.functional.cosine_similarity(u[:, :2], v[:, :2]).numpy(), t.numpy()
    ).statistic
    assert got["val_spearman"] == pytest.approx(want)
    assert model.training  # validate put the mode back


def test_one_class_validation_pairs_give_none_with_a_warning():
    x1, x2, _ = batches("pairs", 1)[0]
    with pytest.warns(SiamkitWarning, match="one class"):
        got = validate(
            identity_model(), Contrastive(), [(x1[:, :2], x2[:, :2], torch.ones(8))], "pairs"
        )
    assert got["val_roc_auc"] is None and got["val_loss"] > 0
