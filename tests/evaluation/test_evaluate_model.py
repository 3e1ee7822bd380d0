"""evaluate_model(): the one evaluation of a model on validation + test data, as `siamkit train`,
`siamkit evaluate` and Python users run it."""

from __future__ import annotations

import pytest
import torch

import siamkit as sk
from siamkit.config import EvaluationConfig
from siamkit.data import LabelledData
from siamkit.evaluation import choose_threshold, evaluate_model, pair_scores, verification_pairs


def _data(seed: int, n: int = 90) -> LabelledData:
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 6
    centres = torch.randn(6, 4, generator=torch.Generator().manual_seed(99)) * 2
    return LabelledData(centres[y] + 0.7 * torch.randn(n, 4, generator=g), y)


def _model() -> sk.SiameseNetwork:
    torch.manual_seed(0)
    return sk.SiameseNetwork(sk.encoders.create_encoder("mlp", input_dim=4, embedding_dim=3))


class Spy:
    """Records the calls to set_threshold of the model it wraps."""

    def __init__(self, model):
        self.calls, original = [], model.set_threshold

        def set_threshold(value, **info):
            self.calls.append((value, info))
            return original(value, **info)

        model.set_threshold = set_threshold


def test_threshold_from_validation_figures_on_test(tmp_path):
    model, val, test = _model(), _data(0), _data(1)
    spy = Spy(model)
    ev = EvaluationConfig(threshold_rule="eer", n_way=6, episodes=40, retrieval_ks=[1, 3])
    out = evaluate_model(model, test, val, config=ev, plots=tmp_path)
    vp = verification_pairs(val, ev.pairs_seed, "validation data")
    expected, _ = choose_threshold(pair_scores(model, vp.x1, vp.x2), vp.y, "eer")
    assert len(spy.calls) == 1 and model.threshold == pytest.approx(expected)
    assert out["threshold"] == model.threshold_info and out["threshold"]["rule"] == "eer"
    assert out["threshold"]["chosen_on"].startswith("validation pairs")
    assert out["validation"]["pairs"] == vp.note and "roc_auc" in out["validation"]
    assert out["test"]["threshold"] == model.threshold and "roc" in out["test"]
    assert out["test"]["threshold_info"] == model.threshold_info
    assert out["one_shot"]["episodes"] == 40 and "recall_at_3" in out["retrieval"]
    for name in ("roc", "score_histograms", "threshold_sweep", "embeddings"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_given_threshold_and_no_threshold():
    model, test = _model(), _data(1)
    ev = EvaluationConfig(one_shot=False, retrieval=False)
    out = evaluate_model(model, test, config=ev)
    assert out["threshold"] is None and out["test"]["accuracy"] is None
    assert set(out) == {"threshold", "test"}
    out = evaluate_model(model, test, _data(0), config=ev, threshold=-0.5)
    assert model.threshold == -0.5 and model.threshold_info["rule"] == "given"
    assert "validation" not in out and out["test"]["threshold"] == -0.5
