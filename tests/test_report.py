"""report.html: self-contained, shows the figures, the history, the plots and the config."""

from __future__ import annotations

import base64
import json
import re

import numpy as np

from siamkit import plots
from siamkit.report import headline, render_report, write_report


def _run_folder(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.repeat([1, 0], 50)
    scores = rng.normal(labels * 2.0, 1.0)
    plots.plot_roc(scores, labels, tmp_path / "plots" / "roc.png", threshold=1.0)
    plots.plot_loss_curves({"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, tmp_path / "plots" / "loss.png")
    metrics = {
        "name": "tiny <run>",
        "threshold": {"value": 1.0, "rule": "accuracy", "chosen_on": "validation pairs: 100 pairs"},
        "validation": {"accuracy": 0.9, "far": 0.1, "frr": 0.1},
        "test": {"accuracy": 0.8765, "roc_auc": 0.95, "eer": 0.12, "far": 0.1, "frr": 0.15,
                 "pairs": "100 pairs", "tar_at_far": [{"far_target": 0.01, "tar": 0.5}],
                 "ci95": {"roc_auc": [0.9, 0.99]}},
        "one_shot": {"accuracy": 0.91, "n_way": 10, "k_shot": 1, "episodes": 1000, "ci95": [0.89, 0.93]},
        "retrieval": {"recall_at_1": 0.97, "map_at_r": 0.8, "n_queries": 50},
        "training": {"epochs": 2, "best_epoch": 2, "stop_reason": "completed"},
        "data": {"source": "dataset: digits", "train samples": 1000},
        "model": {"encoder": "convnet", "encoder_args": {"channels": [32, 64]}},
    }
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    (tmp_path / "history.json").write_text(json.dumps({"epochs": [
        {"epoch": 1, "train_loss": 1.0, "val_loss": 1.1}, {"epoch": 2, "train_loss": 0.5, "val_loss": 0.7}]}))
    (tmp_path / "config.toml").write_text('name = "tiny <run>"\n[training]\nepochs = 2\n')
    return tmp_path


def test_report_is_self_contained_and_complete(tmp_path):
    path = write_report(_run_folder(tmp_path))
    html = path.read_text()
    assert path.name == "report.html" and html.startswith("<!doctype html>")
    images = re.findall(r"src='data:image/png;base64,([^']+)'", html)
    assert len(images) == 2  # the two plots that exist, no broken links for the others
    for data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG")
    assert "src='plots/" not in html
    for text in ("0.8765", "0.9500", "10-way 1-shot", "0.9100", "Recall@1", "0.9700",
                 "chosen on validation pairs", "TAR at FAR &lt;= 0.01", "[0.9000, 0.9900]",
                 "val_loss", "Training and validation loss", "[training]\nepochs = 2"):
        assert text in html, text
    assert "tiny &lt;run&gt;" in html and "<run>" not in html  # escaped


def test_report_with_linked_images(tmp_path):
    folder = _run_folder(tmp_path)
    metrics = json.loads((folder / "metrics.json").read_text())
    html = render_report(metrics, {}, "", folder / "plots", embed_images=False)
    assert "src='plots/roc.png'" in html and "No epochs recorded" in html


def test_headline_skips_missing_figures():
    assert headline({"test": {"accuracy": 0.9, "roc_auc": None}}) == [("test accuracy", 0.9)]
    assert headline({}) == []


def test_worst_false_accepts_and_rejects_are_shown_with_their_scores(tmp_path):
    import torch

    from siamkit.evaluation.worst_pairs import worst_pairs

    # hand-worked: threshold 0.5; different pairs 1 (0.9) and 3 (0.6) are accepted, same pair 2
    # (0.1) is rejected; pair 0 (same, 0.8) and 4 (different, 0.2) are right
    texts_a, texts_b = ["a0", "a1", "a2", "a3", "a4"], ["b0", "b1", "b2", "b3", "b4"]
    worst = worst_pairs(texts_a, texts_b, [0.8, 0.9, 0.1, 0.6, 0.2], [1, 0, 1, 0, 0], 0.5)
    assert [(p["pair"], p["score"]) for p in worst["false_accepts"]] == [(1, 0.9), (3, 0.6)]
    assert [p["pair"] for p in worst["false_rejects"]] == [2]
    assert worst["false_accepts"][0]["a"] == {"text": "a1"}
    images = torch.zeros(5, 1, 28, 28, dtype=torch.uint8)
    shown = worst_pairs(images, images, [0.8, 0.9, 0.1, 0.6, 0.2], [1, 0, 1, 0, 0], 0.5)
    assert shown["false_rejects"][0]["a"]["image"].startswith("data:image/png;base64,")
    run = _run_folder(tmp_path)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["test"]["worst_pairs"] = {"false_accepts": worst["false_accepts"],
                                      "false_rejects": shown["false_rejects"]}
    (run / "metrics.json").write_text(json.dumps(metrics))
    page = write_report(run).read_text()
    assert "Worst false accepts" in page and "Worst false rejects" in page
    assert "<td class=n>0.9000</td><td>a1</td><td>b1</td>" in page
    assert "<img alt='' src='data:image/png;base64," in page
