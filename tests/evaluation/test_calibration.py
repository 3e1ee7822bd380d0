"""The threshold is chosen on validation data only, and the model records how it was chosen."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from siamkit.errors import NotCalibratedError
from siamkit.evaluation import (
    calibrate,
    choose_threshold,
    evaluate_model_pairs,
    evaluate_with_calibration,
    pair_scores,
)


def _split(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    return rng.normal(size=300) + 1.5 * y, y


@pytest.mark.parametrize("rule", ["accuracy", "eer", "far", "f1"])
def test_poisoned_test_set_does_not_move_the_threshold(rule):
    vs, vy = _split(0)
    ts, ty = _split(1)
    clean = evaluate_with_calibration(vs, vy, ts, ty, rule=rule, target_far=0.05)
    # Poison the test set: flip every label and scramble the scores.
    rng = np.random.default_rng(9)
    poisoned = evaluate_with_calibration(
        vs, vy, rng.permutation(ts) * 10 - 3, 1 - ty, rule=rule, target_far=0.05
    )
    assert poisoned["threshold"] == clean["threshold"]
    assert poisoned["threshold"] == choose_threshold(vs, vy, rule, target_far=0.05)[0]
    assert poisoned["threshold_info"] == clean["threshold_info"]
    # ...and the reported test figures do move, so the test data are really what is reported on
    assert poisoned["test"]["accuracy"] != clean["test"]["accuracy"]
    assert clean["test"]["threshold"] == clean["threshold"]


def test_reported_accuracy_is_not_the_best_on_test():
    vs, vy = _split(0)
    ts, ty = _split(1)
    out = evaluate_with_calibration(vs, vy, ts, ty)
    assert out["test"]["accuracy"] <= out["test"]["best_accuracy"]
    assert out["threshold"] != out["test"]["best_accuracy_threshold"]
    assert "validation scores: 300 pairs" in out["threshold_info"]["chosen_on"]


def _pairs(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    x1 = torch.randn(n, 4, generator=g)
    y = torch.randint(0, 2, (n,), generator=g)
    x2 = torch.where(
        y[:, None] == 1, x1 + 0.3 * torch.randn(n, 4, generator=g), torch.randn(n, 4, generator=g)
    )
    return x1, x2, y


def test_calibrate_sets_threshold_from_validation_scores(stand_in):
    x1, x2, y = _pairs()
    stand_in.train()
    model = calibrate(stand_in, x1, x2, y, rule="far", target_far=0.1, batch_size=64)
    assert model is stand_in
    assert stand_in.training  # mode restored
    assert all(c.endswith(":eval") for c in stand_in.calls)  # scored in eval mode...
    assert not any(stand_in.grad_seen)  # ...without gradients
    assert max(int(c.split(":")[1]) for c in stand_in.calls) <= 64  # in batches
    scores = pair_scores(stand_in, x1, x2)
    expected, info = choose_threshold(scores, y.numpy(), "far", target_far=0.1)
    assert model.threshold == expected
    ti = model.threshold_info
    assert (
        ti["rule"] == "far" and ti["target_far"] == 0.1 and ti["rule_value"] == info["rule_value"]
    )
    assert ti["value"] == model.threshold
    assert ti["chosen_on"] == (
        f"validation pairs: 200 pairs ({int(y.sum())} same, {200 - int(y.sum())} different)"
    )
    assert set(ti["validation_metrics"]) == {"accuracy", "far", "frr"}
    assert ti["validation_metrics"]["far"] <= 0.1
    json.dumps(ti, allow_nan=False)  # storable in config.json


def test_calibrated_model_is_evaluated_on_test_pairs_at_its_threshold(stand_in):
    with pytest.raises(NotCalibratedError, match="calibrate"):
        evaluate_model_pairs(stand_in, *_pairs())
    calibrate(stand_in, *_pairs(seed=0))
    before = stand_in.threshold
    x1, x2, y = _pairs(seed=1)
    m = evaluate_model_pairs(stand_in, x1, x2, y)
    assert stand_in.threshold == before
    assert m["threshold"] == before
    assert m["threshold_info"]["rule"] == "accuracy"
    scores = pair_scores(stand_in, x1, x2)
    assert m["accuracy"] == pytest.approx(((scores >= before) == (y.numpy() == 1)).mean())
