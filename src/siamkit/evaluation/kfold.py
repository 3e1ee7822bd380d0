"""The k-fold verification protocol of Labeled Faces in the Wild (Huang et al. 2007).

The pairs are split into k folds; for each fold the threshold is chosen on the other k-1 folds and
accuracy is measured on the held-out fold, so no pair is ever scored with a threshold that saw it.
The result is the mean and standard deviation of the k held-out accuracies. LFW's "View 2" fixes the
10 folds in its pairs file: pass them as ``folds``; otherwise stratified folds are drawn with
``seed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ._validate import check_scores_labels, to_numpy
from .thresholds import check_rule, choose_threshold, rates_at_threshold


def _fold_ids(labels: np.ndarray, k: int, seed: int, folds: Any) -> np.ndarray:
    if folds is not None:
        ids = to_numpy(folds)
        if ids.shape != labels.shape:
            raise DataError(
                f"folds: need one fold id per pair ({len(labels)}), got shape {tuple(ids.shape)}"
            )
        return ids
    if int(k) < 2:
        raise ConfigError(f"k: need at least 2 folds, got {k!r}")
    smallest = int(min(labels.sum(), len(labels) - labels.sum()))
    if smallest < k:
        raise DataError(
            f"labels: {k} folds need at least {k} pairs of each class; the smaller class has "
            f"{smallest}"
        )
    from sklearn.model_selection import StratifiedKFold

    ids = np.empty(len(labels), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=int(k), shuffle=True, random_state=seed)
    for fold, (_, held_out) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        ids[held_out] = fold
    return ids


def kfold_verification(
    scores: Any,
    labels: Any,
    k: int = 10,
    rule: str = "accuracy",
    seed: int = 0,
    target_far: float = 1e-2,
    folds: Any = None,
) -> dict[str, Any]:
    """Held-out accuracy over k folds, each fold's threshold chosen on the other folds by ``rule``.

    ``labels``: 1 = same, 0 = different. Returns ``{"k", "rule", "accuracy_mean", "accuracy_std",
    "threshold_mean", "threshold_std", "fold_accuracies", "fold_thresholds", "fold_far",
    "fold_frr"}``. Standard deviations are population ones (``ddof=0``, as LFW results are usually
    computed); ``accuracy_sem`` is the standard error of the mean, ``std / sqrt(k - 1)``.
    """
    check_rule(rule, target_far)
    s, y = check_scores_labels(scores, labels)
    ids = _fold_ids(y, k, seed, folds)
    accuracies, thresholds, far, frr = [], [], [], []
    for fold in np.unique(ids):
        held_out = ids == fold
        _check_both_classes(y[held_out], f"fold {fold.item()!r} has")
        _check_both_classes(y[~held_out], f"the folds other than {fold.item()!r} have")
        threshold, _ = choose_threshold(s[~held_out], y[~held_out], rule, target_far)
        rates = rates_at_threshold(s[held_out], y[held_out], threshold)
        accuracies.append(rates["accuracy"])
        thresholds.append(threshold)
        far.append(rates["far"])
        frr.append(rates["frr"])
    acc = np.array(accuracies)
    out: dict[str, Any] = {
        "k": len(acc),
        "rule": rule,
        "accuracy_mean": float(acc.mean()),
        "accuracy_std": float(acc.std()),
        "accuracy_sem": float(acc.std() / np.sqrt(max(len(acc) - 1, 1))),
        "threshold_mean": float(np.mean(thresholds)),
        "threshold_std": float(np.std(thresholds)),
        "fold_accuracies": [float(a) for a in acc],
        "fold_thresholds": [float(t) for t in thresholds],
        "fold_far": far,
        "fold_frr": frr,
    }
    if rule == "far":
        out["target_far"] = float(target_far)
    return out


def _check_both_classes(labels: np.ndarray, name: str) -> None:
    n_same = int(labels.sum())
    if n_same == 0 or n_same == len(labels):
        raise DataError(f"folds: {name} only {'same' if n_same else 'different'} pairs")
