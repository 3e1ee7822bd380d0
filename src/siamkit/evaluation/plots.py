"""Figures for training and evaluation: loss curves, ROC, score histograms, FAR/FRR sweep,
2-D embedding projections, accuracy against training time.

Every function draws on its own ``matplotlib.figure.Figure`` (no pyplot state, no GUI backend), so
it works headless and in threads, saves to ``path`` (format from the suffix, parent folders created)
and returns the saved path. Scores are higher = more similar; labels are 1 = same, 0 = different; a
pair is called same iff ``score >= threshold``. ``siamkit.plots`` gives the same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, DataError
from ._validate import check_class_labels, check_embeddings, check_scores_labels
from .curves import OperatingPoints

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_SAME, _DIFFERENT = "tab:green", "tab:red"


def _figure(width: float, height: float) -> Figure:
    # Imported here so that `import siamkit` does not pay for matplotlib.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def _history_series(history: Any) -> dict[str, list[float]]:
    """``{name: per-epoch values}`` from a dict of lists or a list of per-epoch dicts."""
    if hasattr(history, "to_dict"):
        history = history.to_dict()
    if isinstance(history, Mapping) and isinstance(history.get("epochs"), Sequence):
        history = history["epochs"]  # siamkit's History: {"epochs": [per-epoch dicts], ...}
    if isinstance(history, Mapping):
        series = {
            k: list(v) for k, v in history.items() if isinstance(v, (list, tuple, np.ndarray))
        }
    elif isinstance(history, Sequence):
        keys = sorted({k for row in history for k in row})
        series = {k: [row.get(k) for row in history] for k in keys}
    else:
        raise DataError(
            f"history: expected a dict of lists or a list of dicts, got {type(history)}"
        )
    return {k: [np.nan if x is None else float(x) for x in v] for k, v in series.items()}


def plot_loss_curves(history: Any, path: str | Path, title: str = "Loss") -> Path:
    """Every ``*loss*`` series of a training history (e.g. ``train_loss``, ``val_loss``) by epoch.

    ``history``: ``{"train_loss": [...], "val_loss": [...], "epoch": [...]}``, a list of per-epoch
    dicts, or an object with ``to_dict()`` returning one of those.
    """
    series = _history_series(history)
    losses = {k: v for k, v in series.items() if "loss" in k}
    if not losses:
        raise DataError(f"history: no loss series among keys {sorted(series)}")
    fig = _figure(6, 4)
    ax = fig.subplots()
    for name, values in losses.items():
        epochs = series.get("epoch") or list(range(1, len(values) + 1))
        ax.plot(epochs[: len(values)], values, marker="o", markersize=3, label=name)
    ax.set(xlabel="epoch", ylabel="loss", title=title)
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_roc(
    scores: Any, labels: Any, path: str | Path, threshold: float | None = None, title: str = "ROC"
) -> Path:
    """ROC curve (TAR against FAR) with the EER point and, if given, the operating threshold."""
    s, y = check_scores_labels(scores, labels)
    pts = OperatingPoints.from_scores(s, y)
    eer, _ = pts.equal_error_rate()
    fig = _figure(5, 5)
    ax = fig.subplots()
    ax.plot(pts.far, pts.tar, label="ROC")
    ax.plot([0, 1], [0, 1], ls=":", color="grey", label="chance")
    ax.plot([eer], [1 - eer], "s", color="tab:orange", label=f"EER {eer:.3f}")
    if threshold is not None:
        same = s >= threshold
        far, tar = same[y == 0].mean(), same[y == 1].mean()
        ax.plot(
            [far],
            [tar],
            "o",
            color="black",
            label=f"threshold {threshold:.3g}: FAR {far:.3f}, TAR {tar:.3f}",
        )
    ax.set(
        xlabel="false accept rate (FAR)",
        ylabel="true accept rate (TAR)",
        title=title,
        xlim=(0, 1),
        ylim=(0, 1.01),
    )
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_score_histograms(
    scores: Any,
    labels: Any,
    path: str | Path,
    threshold: float | None = None,
    xlabel: str = "score",
    bins: int = 50,
    title: str = "Scores of same and different pairs",
) -> Path:
    """Histograms of the values of same (1) and different (0) pairs, with the threshold line.
    Pass distances with ``xlabel="distance"`` to plot distances instead of scores."""
    s, y = check_scores_labels(scores, labels)
    edges = np.histogram_bin_edges(s, bins=bins)
    fig = _figure(6, 4)
    ax = fig.subplots()
    ax.hist(s[y == 1], bins=edges, alpha=0.6, color=_SAME, density=True, label="same (1)")
    ax.hist(s[y == 0], bins=edges, alpha=0.6, color=_DIFFERENT, density=True, label="different (0)")
    if threshold is not None:
        ax.axvline(threshold, color="black", ls="--", label=f"threshold {threshold:.3g}")
    ax.set(xlabel=xlabel, ylabel="density", title=title)
    ax.legend()
    return _save(fig, path)


def plot_threshold_sweep(
    scores: Any,
    labels: Any,
    path: str | Path,
    threshold: float | None = None,
    title: str = "FAR and FRR",
) -> Path:
    """False accept and false reject rates as the threshold sweeps the scores; EER marked."""
    s, y = check_scores_labels(scores, labels)
    pts = OperatingPoints.from_scores(s, y)
    eer, eer_threshold = pts.equal_error_rate()
    t = pts.scores_at[1:]  # accept scores >= t; the reject-all point has no finite threshold
    fig = _figure(6, 4)
    ax = fig.subplots()
    ax.step(t, pts.far[1:], where="post", color=_DIFFERENT, label="FAR")
    ax.step(t, pts.frr[1:], where="post", color=_SAME, label="FRR")
    ax.plot([eer_threshold], [eer], "s", color="tab:orange", label=f"EER {eer:.3f}")
    if threshold is not None:
        ax.axvline(threshold, color="black", ls="--", label=f"threshold {threshold:.3g}")
    ax.set(xlabel="threshold (same iff score >= threshold)", ylabel="rate", title=title)
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, path)


#: The figures of :func:`plot_verification`, each saved as ``<name>.png``.
VERIFICATION_PLOTS = ("roc", "score_histograms", "threshold_sweep")


def plot_verification(
    scores: Any,
    labels: Any,
    folder: str | Path,
    threshold: float | None = None,
    pairs: str = "",
    score_name: str = "score",
) -> dict[str, Path]:
    """The three figures of a verification (:data:`VERIFICATION_PLOTS`) in ``folder``: ROC, score
    histograms (x axis ``score_name``) and the FAR/FRR sweep; ``pairs`` (e.g. "test") names the
    pairs in the titles. Returns ``{name: path}``."""
    folder, of = Path(folder), f"{pairs} pairs" if pairs else "pairs"
    return {
        "roc": plot_roc(scores, labels, folder / "roc.png", threshold=threshold,
                        title=f"ROC ({of})" if pairs else "ROC"),
        "score_histograms": plot_score_histograms(
            scores, labels, folder / "score_histograms.png", threshold=threshold,
            xlabel=score_name, title=f"Scores of same and different {of}"),
        "threshold_sweep": plot_threshold_sweep(
            scores, labels, folder / "threshold_sweep.png", threshold=threshold),
    }


def plot_embeddings_2d(
    embeddings: Any,
    labels: Any,
    path: str | Path,
    method: str = "pca",
    seed: int = 0,
    max_points: int = 5000,
    title: str | None = None,
) -> Path:
    """Embeddings projected to 2-D (PCA, or t-SNE of van der Maaten & Hinton 2008), coloured by
    class. At most ``max_points`` points, a seeded random subset, are drawn."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    if method not in ("pca", "tsne"):
        raise ConfigError(f"method: must be 'pca' or 'tsne', got {method!r}")
    x = check_embeddings(embeddings, "embeddings")
    y = check_class_labels(labels, len(x), "labels", "embeddings")
    if len(x) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(x), max_points, replace=False))
        x, y = x[keep], y[keep]
    if x.shape[1] == 1:
        xy = np.column_stack([x[:, 0], np.zeros(len(x))])
    elif method == "pca":
        xy = PCA(n_components=2, random_state=seed).fit_transform(x)
    else:
        xy = TSNE(
            n_components=2,
            random_state=seed,
            init="pca",
            perplexity=min(30.0, max(1.0, (len(x) - 1) / 3)),
        ).fit_transform(x)
    classes, codes = np.unique(y, return_inverse=True)
    fig = _figure(6, 6)
    ax = fig.subplots()
    from matplotlib import colormaps

    cmap = colormaps["tab20" if len(classes) > 10 else "tab10"]
    # One scatter per class, so every legend entry carries its own class's colour.
    for code, cls in enumerate(classes):
        mask = codes == code
        ax.scatter(xy[mask, 0], xy[mask, 1], color=cmap(code % cmap.N), s=6, alpha=0.8, label=str(cls))
    if len(classes) <= 20:
        ax.legend(fontsize=7, markerscale=1.5, loc="best")
    ax.set(title=title or f"Embeddings ({method.upper()})", xticks=[], yticks=[])
    return _save(fig, path)


def plot_accuracy_vs_time(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    path: str | Path,
    ylabel: str = "accuracy",
    title: str = "Accuracy against training time",
) -> Path:
    """One line per run: ``{name: (seconds, accuracies)}`` measured during training."""
    if not curves:
        raise DataError("curves: no runs to plot")
    fig = _figure(6, 4)
    ax = fig.subplots()
    for name, (seconds, accuracy) in curves.items():
        if len(seconds) != len(accuracy):
            raise DataError(f"curves[{name!r}]: {len(seconds)} times but {len(accuracy)} values")
        ax.plot(seconds, accuracy, marker="o", markersize=3, label=name)
    ax.set(xlabel="training time (s)", ylabel=ylabel, title=title)
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, path)
