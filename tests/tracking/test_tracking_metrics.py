"""OTB metrics on hand-worked boxes."""

from __future__ import annotations

import numpy as np
import pytest

from siamkit.tracking import box_iou, center_error, sequence_scores, summarize
from siamkit.tracking.metrics import precision_curve, success_curve


def test_iou_hand_examples():
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [5, 5, 2, 2]])
    b = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [20, 20, 5, 5], [0, 0, 10, 10]])
    # identical; half overlap: 50 / 150; disjoint; contained: 4 / 100
    np.testing.assert_allclose(box_iou(a, b), [1.0, 50 / 150, 0.0, 0.04])
    np.testing.assert_allclose(box_iou(b, a), box_iou(a, b))


def test_center_error():
    np.testing.assert_allclose(
        center_error(np.array([[0, 0, 4, 4]]), np.array([[3, 4, 4, 4]])), [5.0]
    )


def test_success_counts_strictly_above_and_precision_within():
    ious = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(
        success_curve(ious, np.array([0.0, 0.5, 0.99])), [2 / 3, 1 / 3, 1 / 3]
    )
    np.testing.assert_allclose(
        precision_curve(np.array([0.0, 20.0, 20.5]), np.array([20.0])), [2 / 3]
    )


def test_sequence_scores_skip_the_given_first_frame():
    truth = np.array([[0, 0, 10, 10]] * 3, dtype=float)
    pred = truth.copy()
    pred[0] = [90, 90, 1, 1]  # frame 0 is the given box: whatever is there is not scored
    pred[2] = [50, 50, 10, 10]
    s = sequence_scores(pred, truth)
    assert s["precision_20"] == 0.5
    assert s["success_auc"] == pytest.approx(
        0.5 * 20 / 21
    )  # perfect frame: above 20 of 21 thresholds
    assert s["mean_iou"] == 0.5


def test_summary_averages_sequences_not_frames():
    a = sequence_scores(np.zeros((3, 4)) + [0, 0, 1, 1], np.zeros((3, 4)) + [0, 0, 1, 1])
    b = sequence_scores(np.zeros((11, 4)) + [0, 0, 1, 1], np.zeros((11, 4)) + [50, 50, 1, 1])
    assert summarize([a, b])["precision_20"] == 0.5


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="predicted boxes"):
        sequence_scores(np.zeros((3, 4)), np.zeros((4, 4)))
