"""Score-map labels and the balanced logistic loss, against scikit-learn's log_loss."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import log_loss

from siamkit.tracking import logistic_score_loss, score_map_labels
from siamkit.tracking.loss import balanced_weights


def test_labels_are_a_disc_around_the_offset():
    labels = score_map_labels(5, 4, torch.tensor([[0.0, 0.0], [4.0, -4.0]]), radius=4.0)
    assert labels.shape == (2, 1, 5, 5)
    expected = np.zeros((5, 5))
    expected[2, 2] = expected[1, 2] = expected[3, 2] = expected[2, 1] = expected[2, 3] = (
        1  # a plus sign
    )
    np.testing.assert_array_equal(labels[0, 0].numpy(), expected)
    # Offset (x=+4, y=-4): one cell right, one cell up.
    np.testing.assert_array_equal(
        labels[1, 0].numpy(), np.roll(np.roll(expected, 1, axis=1), -1, axis=0)
    )


def test_weights_balance_the_classes():
    labels = score_map_labels(7, 4, torch.tensor([[0.0, 0.0], [8.0, 8.0]]), radius=6.0)
    w = balanced_weights(labels)
    for i in range(2):
        assert torch.isclose((w[i] * labels[i]).sum(), torch.tensor(0.5))
        assert torch.isclose((w[i] * (1 - labels[i])).sum(), torch.tensor(0.5))


def test_loss_equals_weighted_log_loss():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 1, 7, 7, generator=gen) * 3
    labels = score_map_labels(
        7, 4, torch.tensor([[0.0, 0.0], [5.0, -3.0], [-9.0, 2.0]]), radius=6.0
    )
    w = balanced_weights(labels)
    expected = np.mean(
        [
            log_loss(
                labels[i].flatten().numpy(),
                torch.sigmoid(logits[i]).flatten().double().numpy(),
                sample_weight=w[i].flatten().numpy(),
                labels=[0, 1],
            )
            for i in range(3)
        ]
    )  # log_loss divides by the weights' sum, which is 1 per map
    assert abs(logistic_score_loss(logits, labels).item() - expected) < 1e-5


def test_siamfc_form_log_one_plus_exp():
    # SiamFC writes the loss as log(1 + exp(-y v)) with y in {-1, +1}.
    logits = torch.tensor([[[[2.0, -1.0], [0.5, -3.0]]]])
    labels = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    y = labels * 2 - 1
    per = torch.log1p(torch.exp(-y * logits))
    expected = 0.5 * per[0, 0, 0, 0] + 0.5 / 3 * (per.sum() - per[0, 0, 0, 0])
    assert torch.isclose(logistic_score_loss(logits, labels), expected)
