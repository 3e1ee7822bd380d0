"""``siamkit train`` / ``evaluate`` / ``demo`` on tiny data, and the train -> verify -> embed round
trip on text pairs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import assert_clean_error

TINY_TOML = """\
name = "tiny digits"
[data]
modality = "vector"
max_train = 300
max_val = 120
max_test = 120
[encoder]
name = "mlp"
args = { hidden_dims = [32], embedding_dim = 8 }
[batches]
batch_size = 64
[training]
epochs = 3
lr = 0.01
[evaluation]
episodes = 50
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from siamkit.cli import main

    folder = tmp_path_factory.mktemp("train")
    (folder / "tiny.toml").write_text(TINY_TOML)
    code = main(["train", str(folder / "tiny.toml"), "--out", str(folder / "run"), "--epochs", "1",
                 "--no-progress", "--json"])
    assert code == 0
    return folder


def test_train_json_and_run_folder(trained, cli, tmp_path):
    result = cli("train", trained / "tiny.toml", "--out", tmp_path / "run", "--epochs", "1",
                 "--set", "training.lr=0.02", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["model"] == str(tmp_path / "run" / "model")
    assert 0 < data["test"]["accuracy"] <= 1 and data["training"]["epochs"] == 1
    assert "epoch 1/1: train_loss" in result.err  # progress goes to stderr, JSON alone on stdout
    saved = (tmp_path / "run" / "config.toml").read_text()
    assert "epochs = 1" in saved and "lr = 0.02" in saved


def test_train_text_output_names_the_report(trained, cli, tmp_path):
    result = cli("train", trained / "tiny.toml", "--out", tmp_path / "r", "--epochs", "1")
    assert result.code == 0, result.err
    assert "test pairs: accuracy" in result.out
    assert f"report: {tmp_path / 'r' / 'report.html'}" in result.out


def test_train_errors(trained, cli, tmp_path):
    assert_clean_error(cli("train", tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[training]\nepoch = 3\n")
    result = cli("train", bad)
    assert_clean_error(result)
    assert "bad.toml: [training] unknown key 'epoch' (did you mean 'epochs'?)" in result.err
    assert_clean_error(cli("train", trained / "tiny.toml", "--set", "training.epochs=x"))
    assert_clean_error(cli("train", trained / "tiny.toml", "--epochs", "x"), code=2)
    existing = cli("train", trained / "tiny.toml", "--out", trained / "run")
    assert_clean_error(existing)
    assert "--resume" in existing.err


def test_dry_run_prints_the_resolved_config(trained, cli):
    result = cli("train", trained / "tiny.toml", "--dry-run", "--epochs", "7")
    assert result.code == 0 and "[training]\nepochs = 7" in result.out and "lr = 0.01" in result.out
    data = json.loads(cli("train", trained / "tiny.toml", "--dry-run", "--json").out)
    assert data["encoder"] == {"name": "mlp", "args": {"hidden_dims": [32], "embedding_dim": 8}}


def test_resume_a_finished_run(trained, cli):
    result = cli("train", trained / "tiny.toml", "--out", trained / "run", "--epochs", "1",
                 "--resume", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["training"]["epochs"] == 1


def test_evaluate_with_the_run_config(trained, cli, tmp_path):
    model, config = trained / "run" / "model", trained / "run" / "config.toml"
    result = cli("evaluate", model, "--config", config, "--out", tmp_path / "eval", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    run = json.loads((trained / "run" / "metrics.json").read_text())
    assert data["accuracy"] == pytest.approx(run["test"]["accuracy"])  # same pairs and threshold
    assert data["threshold_info"]["chosen_on"].startswith("validation pairs")
    assert data["one_shot"]["accuracy"] == pytest.approx(run["one_shot"]["accuracy"])
    for name in ("metrics.json", "roc.png", "score_histograms.png", "threshold_sweep.png"):
        assert (tmp_path / "eval" / name).is_file()
    text = cli("evaluate", model, "--config", config, "--out", tmp_path / "e2", "--no-plots").out
    assert "ROC AUC" in text and "threshold (same iff score >=)" in text and "-way 1-shot" in text


def test_evaluate_calibrate_on_other_validation(trained, cli, tmp_path):
    model = trained / "run" / "model"
    x = np.random.default_rng(0).normal(size=(40, 64)).astype(np.float32)
    np.savez(tmp_path / "val.npz", x=x, y=np.arange(40) % 4)
    np.savez(tmp_path / "test.npz", x=x[::-1].copy(), y=np.arange(40) % 4)
    result = cli("evaluate", model, "--data", tmp_path / "test.npz", "--val", tmp_path / "val.npz",
                 "--calibrate", "--rule", "eer", "--out", tmp_path / "e", "--json", "--no-plots")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["threshold_info"]["rule"] == "eer"
    assert data["threshold_info"]["chosen_on"].startswith("validation scores")
    assert_clean_error(cli("evaluate", model, "--data", tmp_path / "test.npz", "--calibrate"))
    assert_clean_error(cli("evaluate", model, "--data", "nosuchdataset"))
    assert_clean_error(cli("evaluate", model, "--data", "digits:holdout"))
    assert_clean_error(cli("evaluate", model, "--data", "digits"))  # images for a vector model


def test_text_pairs_train_verify_embed(cli, tmp_path):
    rows = ["id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate"]
    topics = ["cook rice", "learn python", "fix a bike", "grow tomatoes", "paint a wall", "tie a tie"]
    for i in range(60):
        topic = topics[i % len(topics)]
        rows.append(f"{i}\t{2 * i}\t{2 * i + 1}\thow do i {topic} {i}\tthe way to {topic} {i}\t1")
    (tmp_path / "pairs.tsv").write_text("\n".join(rows) + "\n")
    (tmp_path / "text.toml").write_text(f"""
[data]
source = "text_pairs"
path = "{tmp_path / 'pairs.tsv'}"
[encoder]
args = {{ token_dim = 8, hidden_dim = 8, normalize = true }}
[model]
distance = "cosine"
[loss]
name = "hard_negative"
[batches]
batch_size = 16
[training]
epochs = 1
""")
    result = cli("train", tmp_path / "text.toml", "--out", tmp_path / "run", "--json")
    assert result.code == 0, result.err
    model = tmp_path / "run" / "model"
    same = cli("verify", model, "how do i cook rice", "how do i cook rice", "--json")
    verdict = json.loads(same.out)
    assert verdict["score"] == pytest.approx(1.0, abs=1e-5) and verdict["same"] is True
    (tmp_path / "texts.txt").write_text("how do i cook rice\n\nlearn python\n")
    out = cli("embed", model, "paint a wall", "--from-file", tmp_path / "texts.txt", "--out",
              tmp_path / "e.csv", "--json")
    assert json.loads(out.out)["n"] == 3  # the blank line is not an input
    assert (tmp_path / "e.csv").read_text().splitlines()[1].startswith("paint a wall,")
    evaluated = cli("evaluate", model, "--data", tmp_path / "pairs.tsv", "--out", tmp_path / "ev",
                    "--no-plots", "--json")
    assert evaluated.code == 0, evaluated.err
    data = json.loads(evaluated.out)
    assert data["n_same"] == 60 and data["n_different"] == 60  # duplicates + made negatives
    assert data["retrieval"]["n_queries"] == 60


def test_demo_fast_variant(cli, tmp_path):
    """The demo's whole path with one epoch on a slice (the full demo is a slow test)."""
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "old.txt").write_text("an earlier demo")  # a demo folder is reused
    result = cli("demo", "--out", tmp_path / "demo", "--epochs", "1", "--set", "evaluation.episodes=100",
                 "--set", "encoder.args.channels=[8]", "--set", "data.max_train=300", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["report"] == str(tmp_path / "demo" / "report.html") and data["one_shot"] > 0.15
    assert data["training"]["epochs"] == 1  # chance one-shot accuracy: 0.1
