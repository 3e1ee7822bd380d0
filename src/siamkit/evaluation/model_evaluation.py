"""One evaluation of a model on data: threshold from validation, every figure on test.

:func:`evaluate_model` is what ``siamkit train`` (after training), ``siamkit evaluate`` and Python
users run. The threshold is chosen on the *validation* pairs by the configured rule and set on the
model (``model.set_threshold``); the test pairs are scored only to be reported at it, never to
choose it. On labelled test data the test embeddings also give N-way K-shot accuracy (Koch et al.
2015), retrieval figures (Recall@K, MAP@R; Musgrave et al. 2020) and a 2-D projection; on duplicate
pairs, retrieval of each first text's partner among all second texts. With ``folds`` = k the
test pairs also get the k-fold held-out accuracy of :mod:`.kfold`. Labels: 1 = same; scores:
higher = more similar.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..errors import SiamkitWarning
from .calibration import calibrate_on_scores
from .kfold import kfold_verification
from .model_scores import embed_all, pair_scores
from .one_shot import one_shot_accuracy_from_embeddings
from .pairs import VerificationPairs, verification_pairs
from .plots import plot_embeddings_2d, plot_verification
from .retrieval import retrieval_metrics
from .thresholds import rates_at_threshold
from .verification import verification_metrics
from .worst_pairs import worst_pairs

if TYPE_CHECKING:
    from ..config.schema import EvaluationConfig


def evaluate_model(model: Any, test: Any, val: Any = None, *, config: EvaluationConfig | None = None,
                   threshold: float | None = None, description: str = "validation pairs",
                   batch_size: int = 256, plots: str | Path | None = None) -> dict[str, Any]:
    """Calibrate ``model`` on ``val``, report on ``test``; return the figures as a dict.

    ``test`` and ``val``: :class:`siamkit.data.LabelledData` or ``PairData`` (labels 1 = same).
    The threshold: ``threshold`` if given, else chosen on same/different pairs of ``val`` by
    ``config.threshold_rule`` (``description`` names them in ``threshold_info["chosen_on"]``),
    else the model's own (none: threshold-free figures only); it is set with
    ``model.set_threshold``. ``config``: a :class:`siamkit.config.EvaluationConfig` (default: its
    defaults) for the rule, FAR targets, bootstrap, seeds, one-shot, retrieval and projection.
    ``plots``: a folder for roc.png, score_histograms.png, threshold_sweep.png and embeddings.png.

    Returns ``{"validation": figures at the threshold (only when chosen on val), "threshold":
    model.threshold_info, "test": verification_metrics of the test pairs with "pairs" and
    "threshold_info", "one_shot" and "retrieval" when measured}``.
    """
    if config is None:
        from ..config.schema import EvaluationConfig

        config = EvaluationConfig()
    ev, folder = config, None if plots is None else Path(plots)
    out: dict[str, Any] = {}
    if threshold is not None:
        model.set_threshold(threshold, rule="given", chosen_on="given by the caller")
    elif val is not None:
        val_pairs = verification_pairs(val, ev.pairs_seed, "validation data")
        out["validation"] = calibrate(model, val_pairs, ev, batch_size, description)
    out["threshold"] = threshold_record(model)
    test_pairs = verification_pairs(test, ev.pairs_seed + 1, "test data")
    out["test"] = verification(model, test_pairs, ev, batch_size, folder)
    out.update(evaluate_test_embeddings(model, test, ev, batch_size, folder))
    said = (out["validation"].get("warnings", []) if "validation" in out else [])
    said += [out["one_shot"]["note"]] if "note" in (out.get("one_shot") or {}) else []
    if said:
        out["warnings"] = said
    return out


def threshold_record(model: Any) -> dict[str, Any] | None:
    """A copy of ``model.threshold_info``, or None for a model without a threshold."""
    if getattr(model, "threshold", None) is None:
        return None
    return dict(model.threshold_info or {"rule": "unknown"})


def calibrate(model: Any, pairs: VerificationPairs, ev: EvaluationConfig, batch_size: int,
              description: str) -> dict[str, Any]:
    """Set the model's threshold from validation ``pairs``; return the validation figures at it."""
    scores = pair_scores(model, pairs.x1, pairs.x2, batch_size=batch_size)
    threshold = calibrate_on_scores(model, scores, pairs.y, rule=ev.threshold_rule,
                                    target_far=ev.target_far, description=description)
    figures = verification_metrics(scores, pairs.y, threshold=threshold, far_targets=ev.far_targets)
    out = {"pairs": pairs.note, **rates_at_threshold(scores, pairs.y, threshold),
           "roc_auc": figures["roc_auc"], "eer": figures["eer"]}
    said = (model.threshold_info or {}).get("warnings")
    if said:
        out["warnings"] = list(said)
    return out


def verification(model: Any, pairs: VerificationPairs, ev: EvaluationConfig, batch_size: int,
                 plots: Path | None) -> dict[str, Any]:
    """Test figures at ``model.threshold`` (and the ROC, histogram and FAR/FRR plots)."""
    threshold = getattr(model, "threshold", None)
    scores = pair_scores(model, pairs.x1, pairs.x2, batch_size=batch_size)
    metrics = verification_metrics(scores, pairs.y, threshold=threshold,
                                   far_targets=ev.far_targets, bootstrap=ev.bootstrap,
                                   seed=ev.pairs_seed)
    metrics["pairs"] = pairs.note
    metrics["threshold_info"] = threshold_record(model)
    if ev.folds:
        # each fold's threshold chosen on the other folds of the test pairs (LFW's protocol):
        # a figure that needs no validation data and no threshold of the model's own
        metrics["kfold"] = kfold_verification(scores, pairs.y, k=ev.folds, rule=ev.threshold_rule,
                                              seed=ev.pairs_seed, target_far=ev.target_far)
    worst = worst_pairs(pairs.x1, pairs.x2, scores, pairs.y.numpy(), threshold)
    if worst is not None:
        metrics["worst_pairs"] = worst
    if plots is not None:
        kind = getattr(model, "score_kind", None)
        plot_verification(scores, pairs.y.numpy(), plots, threshold, pairs="test",
                          score_name=f"score ({kind})" if kind else "score")
    return metrics


def _scorer(model: Any) -> Any:
    device = model.device

    def score(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model.score_embeddings(u.to(device), v.to(device)).float().cpu()
    return score


def one_shot(model: Any, emb: torch.Tensor, labels: np.ndarray, ev: EvaluationConfig
             ) -> dict[str, Any] | None:
    classes, counts = np.unique(labels, return_counts=True)
    eligible = classes[counts >= ev.k_shot + 1]
    n_way = min(ev.n_way, len(eligible))
    if n_way < 2:
        return {"skipped": f"fewer than 2 test classes have {ev.k_shot + 1} samples"}
    result = one_shot_accuracy_from_embeddings(emb, labels, _scorer(model), n_way=n_way,
                                               k_shot=ev.k_shot, episodes=ev.episodes,
                                               seed=ev.pairs_seed, classes=eligible)
    if n_way < ev.n_way:
        result["note"] = (f"one-shot: n_way lowered from {ev.n_way} to {n_way}: only {n_way} test "
                          f"classes have the {ev.k_shot + 1} samples an episode needs")
        warnings.warn(result["note"], SiamkitWarning, stacklevel=2)
    return result


def retrieval(model: Any, q: torch.Tensor, ql: np.ndarray, r: torch.Tensor | None,
              rl: np.ndarray | None, ev: EvaluationConfig) -> dict[str, Any]:
    available = (len(r) if r is not None else len(q) - 1)
    ks = sorted({k for k in ev.retrieval_ks if k <= available}) or [1]
    result = retrieval_metrics(q, ql, r, rl, ks=ks, distance=model.distance_fn,
                               exclude_self=r is None)
    if model.head is not None:
        result["note"] = "ranked by embedding distance, not by the head"
    return result


def evaluate_test_embeddings(model: Any, test: Any, ev: EvaluationConfig, batch_size: int,
                             plots: Path | None) -> dict[str, Any]:
    """One-shot, retrieval and the 2-D projection from the test embeddings."""
    from ..data import LabelledData

    out: dict[str, Any] = {}
    if isinstance(test, LabelledData):
        emb = embed_all(model, test.x, batch_size=batch_size)
        labels = test.y.numpy()
        if ev.one_shot:
            out["one_shot"] = one_shot(model, emb, labels, ev)
        if ev.retrieval:
            out["retrieval"] = retrieval(model, emb, labels, None, None, ev)
        if plots is not None and ev.projection != "none":
            names = np.asarray(test.classes, dtype=object)[labels]
            plot_embeddings_2d(emb, names, plots / "embeddings.png", method=ev.projection,
                               seed=ev.pairs_seed, max_points=ev.max_projection_points,
                               title=f"Test embeddings ({ev.projection.upper()}), by class")
    elif ev.retrieval and test.is_binary and bool((test.y == 1).all()):
        groups = test.groups if test.groups is not None else torch.arange(len(test))
        q = embed_all(model, test.x1, batch_size=batch_size)
        r = embed_all(model, test.x2, batch_size=batch_size)
        result = retrieval(model, q, groups.numpy(), r, groups.numpy(), ev)
        result["task"] = "each first text's partner among all second texts"
        out["retrieval"] = result
    return out
