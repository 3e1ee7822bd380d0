"""Anomaly scoring helpers: polarity, aggregation, the false-alarm threshold."""

from __future__ import annotations

import numpy as np
import pytest

from siamkit.anomaly import aggregate_neighbours, dissimilarity, false_alarm_threshold
from siamkit.errors import ConfigError, DataError, SiamkitWarning


def test_similarity_scores_become_distances():
    np.testing.assert_allclose(dissimilarity([-0.5, -2.0], "negative_euclidean"), [0.5, 2.0])
    np.testing.assert_allclose(dissimilarity([1.0, 0.25], "cosine_similarity"), [0.0, 0.75])
    np.testing.assert_allclose(dissimilarity([0.9], "probability"), [0.1])
    with pytest.raises(ConfigError, match="kind"):
        dissimilarity([1.0], "banana")


def test_mean_and_kth_neighbour():
    d = np.array([[1.0, 2.0, 6.0], [0.0, 0.0, 3.0]])
    np.testing.assert_allclose(aggregate_neighbours(d, "mean"), [3.0, 1.0])
    np.testing.assert_allclose(aggregate_neighbours(d, "kth"), [6.0, 3.0])
    with pytest.raises(ConfigError, match="aggregate"):
        aggregate_neighbours(d, "median")


@pytest.mark.parametrize("rate", [0.01, 0.05, 0.2, 0.5])
def test_threshold_flags_at_most_the_rate_and_is_the_smallest_such(rate):
    scores = np.random.default_rng(0).normal(size=1000)
    t = false_alarm_threshold(scores, rate)
    assert np.mean(scores > t) <= rate
    lower = np.max(scores[scores < t])  # the next observed score down would flag too many
    assert np.mean(scores > lower) > rate


def test_threshold_with_ties_and_too_few_samples():
    assert false_alarm_threshold(np.array([1.0] * 50 + [2.0] * 50), 0.05) == 2.0  # nothing above 2
    with pytest.warns(SiamkitWarning, match="cannot resolve"):
        assert false_alarm_threshold(np.arange(10.0), 0.05) == 9.0
    with pytest.raises(DataError):
        false_alarm_threshold(np.array([]), 0.05)
    with pytest.raises(ConfigError):
        false_alarm_threshold(np.arange(10.0), 1.5)
