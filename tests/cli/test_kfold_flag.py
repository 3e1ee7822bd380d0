"""``--folds K`` of ``siamkit evaluate`` and ``siamkit train``: LFW's k-fold held-out accuracy."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import assert_clean_error

from siamkit import SiameseNetwork
from siamkit.data import LabelledData
from siamkit.evaluation import kfold_verification
from siamkit.evaluation.model_scores import pair_scores
from siamkit.evaluation.pairs import verification_pairs


def _npz(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(80) % 4
    x = (rng.normal(size=(80, 4)) + y[:, None]).astype(np.float32)
    np.savez(tmp_path / "test.npz", x=x, y=y)
    return x, y


def test_evaluate_folds_equal_kfold_on_the_same_pairs(cli, vector_model, tmp_path):
    x, y = _npz(tmp_path)
    result = cli("evaluate", vector_model, "--data", tmp_path / "test.npz", "--folds", "5",
                 "--rule", "eer", "--out", tmp_path / "e", "--json", "--no-plots")
    assert result.code == 0, result.err
    got = json.loads(result.out)["kfold"]
    # the same test pairs scored by the saved model, then the k-fold protocol directly
    model = SiameseNetwork.load(vector_model)
    import torch

    pairs = verification_pairs(LabelledData(torch.from_numpy(x), torch.from_numpy(y)), 1, "t")
    scores = pair_scores(model, pairs.x1, pairs.x2)
    want = kfold_verification(scores, pairs.y, k=5, rule="eer", seed=0)
    assert got["k"] == 5 and got["rule"] == "eer"
    assert got["fold_accuracies"] == pytest.approx(want["fold_accuracies"])
    assert got["accuracy_mean"] == pytest.approx(want["accuracy_mean"])
    text = cli("evaluate", vector_model, "--data", tmp_path / "test.npz", "--folds", "3",
               "--out", tmp_path / "e2", "--no-plots").out
    assert "3-fold held-out accuracy" in text


def test_evaluate_without_folds_has_no_kfold(cli, vector_model, tmp_path):
    _npz(tmp_path)
    result = cli("evaluate", vector_model, "--data", tmp_path / "test.npz", "--out", tmp_path / "e",
                 "--json", "--no-plots")
    assert result.code == 0 and "kfold" not in json.loads(result.out)


def test_folds_errors(cli, vector_model, tmp_path):
    _npz(tmp_path)
    bad = cli("evaluate", vector_model, "--data", tmp_path / "test.npz", "--folds", "1",
              "--no-plots", "--out", tmp_path / "e")
    assert_clean_error(bad)
    assert "--folds" in bad.err
    (tmp_path / "c.toml").write_text("[evaluation]\nfolds = 1\n")
    assert_clean_error(cli("train", tmp_path / "c.toml", "--dry-run"))


def test_train_folds_flag(cli, tmp_path):
    (tmp_path / "tiny.toml").write_text("""\
[data]
modality = "vector"
max_train = 200
max_val = 100
max_test = 100
[encoder]
name = "mlp"
args = { hidden_dims = [16], embedding_dim = 4 }
[evaluation]
episodes = 20
retrieval = false
projection = "none"
""")
    result = cli("train", tmp_path / "tiny.toml", "--out", tmp_path / "run", "--epochs", "1",
                 "--folds", "4", "--no-progress", "--json")
    assert result.code == 0, result.err
    kfold = json.loads(result.out)["kfold"]
    assert kfold["k"] == 4 and len(kfold["fold_accuracies"]) == 4
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["test"]["kfold"]["accuracy_mean"] == pytest.approx(kfold["accuracy_mean"])
    assert "folds = 4" in (tmp_path / "run" / "config.toml").read_text()
