"""Every plot writes a readable image, headless, and rejects bad input with a siamkit error."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.image import imread

from siamkit import plots
from siamkit.errors import ConfigError, DataError


@pytest.fixture
def pairs():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    return rng.normal(size=200) + 2 * y, y


def _is_image(path):
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img.std() > 0  # something was drawn
    return True


def test_verification_plots(tmp_path, pairs):
    s, y = pairs
    assert _is_image(plots.plot_roc(s, y, tmp_path / "roc.png", threshold=1.0))
    assert _is_image(plots.plot_score_histograms(s, y, tmp_path / "h.png", threshold=1.0))
    assert _is_image(plots.plot_threshold_sweep(s, y, tmp_path / "sub" / "sweep.png"))


@pytest.mark.parametrize(
    "history",
    [
        {"train_loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]},
        [{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5, "val_loss": 0.6}],
    ],
)
def test_loss_curves(tmp_path, history):
    assert _is_image(plots.plot_loss_curves(history, tmp_path / "loss.png"))


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_embeddings_2d(tmp_path, method):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 15)
    x = rng.normal(size=(60, 5)) + 3 * y[:, None]
    path = plots.plot_embeddings_2d(x, y, tmp_path / f"{method}.png", method=method, max_points=50)
    assert _is_image(path)


def test_accuracy_vs_time(tmp_path):
    path = plots.plot_accuracy_vs_time(
        {"siamkit": ([1, 2, 3], [0.5, 0.7, 0.8]), "peer": ([2, 4], [0.5, 0.75])}, tmp_path / "t.png"
    )
    assert _is_image(path)


def test_bad_input(tmp_path, pairs):
    s, y = pairs
    with pytest.raises(DataError, match="labels"):
        plots.plot_roc(s, np.ones_like(y), tmp_path / "x.png")
    with pytest.raises(DataError, match="no loss series"):
        plots.plot_loss_curves({"accuracy": [0.5]}, tmp_path / "x.png")
    with pytest.raises(ConfigError, match="method"):
        plots.plot_embeddings_2d(np.zeros((3, 2)), [0, 1, 2], tmp_path / "x.png", method="umap")
    with pytest.raises(DataError, match="2 times but 1 values"):
        plots.plot_accuracy_vs_time({"a": ([1, 2], [0.5])}, tmp_path / "x.png")


def test_headless_without_pyplot(tmp_path):
    code = (
        "import sys, numpy as np; from siamkit import plots;"
        f"plots.plot_roc(np.arange(6.0), [0,1,0,1,1,1], {str(tmp_path / 'r.png')!r});"
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    env["MPLBACKEND"] = "TkAgg"  # a GUI backend that cannot start headless: must not be used
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    assert (tmp_path / "r.png").stat().st_size > 0


def test_loss_curves_accept_a_training_history(tmp_path):
    from siamkit.training import History

    history = History()
    for epoch, (train, val) in enumerate([(0.5, 0.6), (0.3, 0.4)], start=1):
        history.append({"epoch": epoch, "train_loss": train, "val_loss": val})
    assert plots.plot_loss_curves(history, tmp_path / "loss.png").stat().st_size > 0


def test_projection_legend_has_one_entry_per_class_in_its_colour(tmp_path, monkeypatch):
    import matplotlib.axes

    seen = {}
    original = matplotlib.axes.Axes.legend

    def spy(self, *args, **kwargs):
        legend = original(self, *args, **kwargs)
        seen["labels"] = [t.get_text() for t in legend.get_texts()]
        seen["colours"] = [tuple(h.get_facecolor()[0]) for h in legend.legend_handles]
        return legend

    monkeypatch.setattr(matplotlib.axes.Axes, "legend", spy)
    emb = np.random.default_rng(0).normal(size=(40, 5))
    plots.plot_embeddings_2d(emb, np.repeat([3, 7], 20), tmp_path / "e.png")
    assert seen["labels"] == ["3", "7"]
    assert seen["colours"][0] != seen["colours"][1]
