"""After training: choose the threshold on validation pairs, then report on test data.

The threshold is chosen on the *validation* pairs by the configured rule and stored in the model;
the test pairs are scored only to be reported at that threshold (never to choose it). On labelled
test data the test embeddings also give N-way K-shot accuracy (Koch et al. 2015), retrieval figures
(Recall@K, MAP@R; Musgrave et al. 2020) and a 2-D projection; on duplicate pairs, retrieval of each
first text's partner among all second texts. Labels: 1 = same; scores: higher = more similar.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config.schema import EvaluationConfig
from .pairs import VerificationPairs


def calibrate_on(model: Any, pairs: VerificationPairs, ev: EvaluationConfig, batch_size: int
                 ) -> dict[str, Any]:
    """Set ``model.threshold`` from validation ``pairs``; return the validation figures at it."""
    from ..evaluation import choose_threshold, pair_scores, rates_at_threshold, verification_metrics
    from ..evaluation.calibration import threshold_info

    scores = pair_scores(model, pairs.x1, pairs.x2, batch_size=batch_size)
    threshold, info = choose_threshold(scores, pairs.y, rule=ev.threshold_rule, target_far=ev.target_far)
    model.threshold = float(threshold)
    model.threshold_info = threshold_info(info, "validation pairs")
    figures = verification_metrics(scores, pairs.y, threshold=threshold, far_targets=ev.far_targets)
    return {"pairs": pairs.note, **rates_at_threshold(scores, pairs.y, threshold),
            "roc_auc": figures["roc_auc"], "eer": figures["eer"]}


def verification(model: Any, pairs: VerificationPairs, ev: EvaluationConfig, batch_size: int,
                 plots: Path | None) -> dict[str, Any]:
    """Test figures at ``model.threshold`` (and the ROC, histogram and FAR/FRR plots)."""
    from ..evaluation import pair_scores, verification_metrics

    scores = pair_scores(model, pairs.x1, pairs.x2, batch_size=batch_size)
    metrics = verification_metrics(scores, pairs.y, threshold=model.threshold,
                                   far_targets=ev.far_targets, bootstrap=ev.bootstrap,
                                   seed=ev.pairs_seed)
    metrics.pop("roc", None)  # hundreds of points; roc.png shows them
    metrics["pairs"] = pairs.note
    metrics["threshold_info"] = dict(model.threshold_info or {})
    if plots is not None:
        from .. import plots as p

        y = pairs.y.numpy()
        p.plot_roc(scores, y, plots / "roc.png", threshold=model.threshold, title="ROC (test pairs)")
        p.plot_score_histograms(scores, y, plots / "score_histograms.png", threshold=model.threshold,
                                xlabel=f"score ({model.score_kind})",
                                title="Scores of same and different test pairs")
        p.plot_threshold_sweep(scores, y, plots / "threshold_sweep.png", threshold=model.threshold)
    return metrics


def _scorer(model: Any) -> Any:
    device = model.device

    def score(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return model.score_embeddings(u.to(device), v.to(device)).float().cpu()
    return score


def one_shot(model: Any, emb: torch.Tensor, labels: np.ndarray, ev: EvaluationConfig
             ) -> dict[str, Any] | None:
    from ..evaluation import one_shot_accuracy_from_embeddings

    classes, counts = np.unique(labels, return_counts=True)
    eligible = classes[counts >= ev.k_shot + 1]
    n_way = min(ev.n_way, len(eligible))
    if n_way < 2:
        return {"skipped": f"fewer than 2 test classes have {ev.k_shot + 1} samples"}
    result = one_shot_accuracy_from_embeddings(emb, labels, _scorer(model), n_way=n_way,
                                               k_shot=ev.k_shot, episodes=ev.episodes,
                                               seed=ev.pairs_seed, classes=eligible)
    if n_way < ev.n_way:
        result["note"] = f"n_way lowered from {ev.n_way} to the {n_way} eligible test classes"
    return result


def retrieval(model: Any, q: torch.Tensor, ql: np.ndarray, r: torch.Tensor | None,
              rl: np.ndarray | None, ev: EvaluationConfig) -> dict[str, Any]:
    from ..evaluation import retrieval_metrics

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
    from ..evaluation import embed_all

    out: dict[str, Any] = {}
    if isinstance(test, LabelledData):
        emb = embed_all(model, test.x, batch_size=batch_size)
        labels = test.y.numpy()
        if ev.one_shot:
            out["one_shot"] = one_shot(model, emb, labels, ev)
        if ev.retrieval:
            out["retrieval"] = retrieval(model, emb, labels, None, None, ev)
        if plots is not None and ev.projection != "none":
            from .. import plots as p

            names = np.asarray(test.classes, dtype=object)[labels]
            p.plot_embeddings_2d(emb, names, plots / "embeddings.png", method=ev.projection,
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
