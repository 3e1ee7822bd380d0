"""Figures for training and evaluation, kept under their old name: the plotting lives in
:mod:`siamkit.evaluation.plots` (loss curves, ROC, score histograms, FAR/FRR sweep, 2-D embeddings,
accuracy against training time); this module re-exports its public functions."""

from __future__ import annotations

from .evaluation.plots import (
    VERIFICATION_PLOTS,
    plot_accuracy_vs_time,
    plot_embeddings_2d,
    plot_loss_curves,
    plot_roc,
    plot_score_histograms,
    plot_threshold_sweep,
    plot_verification,
)

__all__ = [
    "VERIFICATION_PLOTS",
    "plot_accuracy_vs_time",
    "plot_embeddings_2d",
    "plot_loss_curves",
    "plot_roc",
    "plot_score_histograms",
    "plot_threshold_sweep",
    "plot_verification",
]
