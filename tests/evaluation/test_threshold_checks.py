"""A threshold whose rule cannot be met meaningfully on a small validation set is said loudly:
a one-line SiamkitWarning, a line in threshold_info / metrics.json "warnings", and the accuracy
rule's figures for comparison (issue 18, item 1)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import siamkit as sk
from siamkit.config import EvaluationConfig, load_config
from siamkit.data import LabelledData
from siamkit.errors import SiamkitWarning
from siamkit.evaluation import calibrate_on_scores, choose_threshold, evaluate_model
from siamkit.evaluation.threshold_checks import threshold_warnings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def small_validation(n: int = 72, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """144 pairs as a folder of 8 x 60 images gives: well separated, but one different pair scores
    above nearly every same pair (an outlier), so FAR <= 1% (= no false accept) rejects them."""
    rng = np.random.default_rng(seed)
    same, diff = rng.normal(2.0, 0.5, n), rng.normal(0.0, 0.5, n)
    diff[0] = 3.0
    return np.concatenate([same, diff]), np.concatenate([np.ones(n), np.zeros(n)])


class Recorder:
    def __init__(self):
        self.threshold, self.threshold_info = None, None

    def set_threshold(self, value, **info):
        self.threshold, self.threshold_info = value, {"value": value, **info}
        return self


def test_far_rule_on_too_few_pairs_is_reproduced_and_said():
    scores, labels = small_validation()
    _, far = choose_threshold(scores, labels, rule="far", target_far=0.01)
    _, acc = choose_threshold(scores, labels, rule="accuracy")
    assert far["frr"] > 0.8 and acc["accuracy"] > 0.95  # the case
    lines = threshold_warnings(scores, labels, far)
    assert len(lines) == 2 and all("\n" not in line for line in lines)
    assert "72 different pairs" in lines[0] and "at least 100" in lines[0]
    assert f"FRR {far['frr']:.3f}" in lines[1]
    assert f"accuracy rule would reach accuracy {acc['accuracy']:.3f}" in lines[1]


def test_calibrating_warns_and_records():
    scores, labels = small_validation()
    model = Recorder()
    with pytest.warns(SiamkitWarning) as caught:
        calibrate_on_scores(model, scores, labels, rule="far", target_far=0.01)
    said = [str(w.message) for w in caught if issubclass(w.category, SiamkitWarning)]
    assert said == model.threshold_info["warnings"] and len(said) == 2


@pytest.mark.parametrize("rule", ["accuracy", "eer", "f1"])
def test_no_warning_where_the_rule_is_met(rule):
    scores, labels = small_validation()
    model = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SiamkitWarning)
        calibrate_on_scores(model, scores, labels, rule=rule)
    assert "warnings" not in model.threshold_info


def test_far_rule_on_enough_pairs_is_quiet():
    rng = np.random.default_rng(1)
    scores = np.concatenate([rng.normal(3, 0.5, 500), rng.normal(0, 0.5, 500)])
    labels = np.concatenate([np.ones(500), np.zeros(500)])
    _, info = choose_threshold(scores, labels, rule="far", target_far=0.01)
    assert threshold_warnings(scores, labels, info) == []


def test_a_high_frr_under_the_accuracy_rule_names_no_alternative():
    # Same pairs that score like different ones: the best accuracy rejects most of them.
    scores = np.array([0.0, 0.1, 0.2, 0.3, 0.9, 0.05, 0.15, 0.25, 0.35, 0.4])
    labels = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    _, info = choose_threshold(scores, labels, rule="accuracy")
    lines = threshold_warnings(scores, labels, info)
    assert len(lines) == 1 and "rule accuracy rejects 80.0%" in lines[0]
    assert "would reach" not in lines[0]


def test_evaluate_model_records_the_warnings():
    torch.manual_seed(0)
    model = sk.SiameseNetwork(sk.encoders.create_encoder("mlp", input_dim=4, embedding_dim=3))
    g = torch.Generator().manual_seed(0)
    y = torch.arange(90) % 6
    val = LabelledData(torch.randn(90, 4, generator=g) + y[:, None], y)  # 90 different pairs
    test = LabelledData(torch.randn(60, 4, generator=g) + (torch.arange(60) % 6)[:, None],
                        torch.arange(60) % 6)
    ev = EvaluationConfig(threshold_rule="far", target_far=0.001, episodes=20, projection="none")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = evaluate_model(model, test, val, config=ev)
    said = [str(w.message) for w in caught if issubclass(w.category, SiamkitWarning)]
    assert said == out["warnings"] and "one-shot: n_way lowered from 10 to 6" in said[-1]
    assert out["warnings"][0] == out["validation"]["warnings"][0]
    assert out["warnings"][0] == out["threshold"]["warnings"][0]
    assert "needs at least 1000 different pairs" in out["warnings"][0]


def test_the_image_folder_example_serves_small_folders():
    ev = load_config(EXAMPLES / "image_folder_verification.toml").evaluation
    scores, labels = small_validation()
    _, info = choose_threshold(scores, labels, rule=ev.threshold_rule, target_far=ev.target_far)
    assert threshold_warnings(scores, labels, info) == []
