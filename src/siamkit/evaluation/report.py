"""One call that evaluates verification pairs and writes the results to a folder.

:func:`evaluate` is what ``siamkit evaluate`` runs: scores (given, or computed by a model from pair
tensors) and labels (1 = same, 0 = different) go in; ``metrics.json``, ``roc.png``,
``score_histograms.png`` and ``threshold_sweep.png`` come out, plus the metrics dict and a readable
table. The decision threshold comes from, in order: the ``threshold`` argument, validation scores
(chosen there by ``rule``, never on the evaluated pairs), or the model's calibrated ``threshold``;
without any, only threshold-free metrics and the (optimistic) best-on-these-data figures are given.
To evaluate a model on validation and test *data* (threshold, pairs, one-shot, retrieval, plots),
see :func:`siamkit.evaluation.evaluate_model`, which ``siamkit train`` and ``siamkit evaluate`` run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import DataError
from .calibration import threshold_info
from .model_scores import pair_scores
from .plots import plot_verification
from .thresholds import check_rule, choose_threshold
from .verification import verification_metrics


def _json_ready(value: Any) -> Any:
    """Non-finite floats become None (JSON has no inf/NaN); tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def write_metrics_json(metrics: dict[str, Any], path: str | Path) -> Path:
    """``metrics`` as indented JSON; infinities and NaN are written as null."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_json_ready(metrics), indent=2, allow_nan=False) + "\n")
    return path


def evaluate(
    out_dir: str | Path,
    scores: Any = None,
    labels: Any = None,
    *,
    model: Any = None,
    x1: Any = None,
    x2: Any = None,
    threshold: float | None = None,
    val_scores: Any = None,
    val_labels: Any = None,
    rule: str = "accuracy",
    target_far: float = 1e-2,
    far_targets: Sequence[float] = (1e-1, 1e-2, 1e-3),
    bootstrap: int = 0,
    seed: int = 0,
    batch_size: int = 256,
    plots: bool = True,
) -> tuple[dict[str, Any], str]:
    """Evaluate pairs; write ``metrics.json`` and plots to ``out_dir``; return ``(metrics, table)``.

    Give ``scores`` and ``labels``, or ``model``, ``x1``, ``x2`` and ``labels`` (scores then come
    from ``model.similarity``). ``labels``: 1 = same, 0 = different.
    """
    if labels is None:
        raise DataError("labels: required (1 = same, 0 = different)")
    if scores is None:
        if model is None or x1 is None or x2 is None:
            raise DataError("scores: give scores, or a model with pair inputs x1 and x2")
        scores = pair_scores(model, x1, x2, batch_size=batch_size)
    info = None
    if threshold is not None:
        info = {"rule": "given", "value": float(threshold), "chosen_on": "given by the caller"}
    elif val_scores is not None:
        check_rule(rule, target_far)
        threshold, chosen = choose_threshold(val_scores, val_labels, rule, target_far)
        info = threshold_info(chosen, "validation scores")
    elif model is not None and getattr(model, "threshold", None) is not None:
        threshold = float(model.threshold)
        info = dict(getattr(model, "threshold_info", None) or {"rule": "unknown"})
    metrics = verification_metrics(
        scores, labels, threshold=threshold, far_targets=far_targets, bootstrap=bootstrap, seed=seed
    )
    metrics["threshold_info"] = info
    out = Path(out_dir)
    files = {"metrics": "metrics.json"}
    if plots:
        written = plot_verification(scores, labels, out, threshold=threshold)
        files.update({name: path.name for name, path in written.items()})
    metrics["files"] = files
    write_metrics_json(metrics, out / "metrics.json")
    return metrics, format_metrics_table(metrics)


def _ci(metrics: dict[str, Any], key: str) -> str:
    ci = metrics.get("ci95", {}).get(key)
    return f"  95% CI [{ci[0]:.4f}, {ci[1]:.4f}]" if ci else ""


def _row(name: str, text: str) -> str:
    return f"  {name:<34}{text}"


def format_metrics_table(metrics: dict[str, Any]) -> str:
    """A plain-text table of :func:`verification_metrics` output, as :func:`evaluate` returns."""
    m = metrics
    rows = [
        f"Verification of {m['n']} pairs ({m['n_same']} same, {m['n_different']} different)",
        _row("ROC AUC", f"{m['roc_auc']:.4f}{_ci(m, 'roc_auc')}"),
        _row(
            "equal error rate",
            f"{m['eer']:.4f} at threshold {m['eer_threshold']:.4g}{_ci(m, 'eer')}",
        ),
    ]
    if m.get("threshold") is not None:
        info = m.get("threshold_info") or {}
        source = f", {info['chosen_on']}" if info.get("chosen_on") else ""
        rows += [
            _row(
                "threshold (same iff score >=)",
                f"{m['threshold']:.4g}  rule: {info.get('rule', '?')}{source}",
            ),
            _row("accuracy", f"{m['accuracy']:.4f}{_ci(m, 'accuracy')}"),
            _row("FAR / FRR", f"{m['far']:.4f} / {m['frr']:.4f}"),
            _row(
                "precision / recall / F1",
                f"{m['precision']:.4f} / {m['recall']:.4f} / {m['f1']:.4f}",
            ),
        ]
    else:
        rows.append(_row("threshold", "none (not calibrated): threshold-free metrics only"))
    rows += [
        "  Chosen on these same pairs (optimistic):",
        _row(
            "  best accuracy",
            f"{m['best_accuracy']:.4f} at threshold {m['best_accuracy_threshold']:.4g}",
        ),
        _row("  best F1", f"{m['best_f1']:.4f} at threshold {m['best_f1_threshold']:.4g}"),
    ]
    kfold = m.get("kfold")
    if kfold:
        rows.append(_row(f"  {kfold['k']}-fold held-out accuracy",
                         f"{kfold['accuracy_mean']:.4f} +- {kfold['accuracy_std']:.4f} "
                         f"(each fold's threshold by rule {kfold['rule']} on the other folds)"))
    for t in m["tar_at_far"]:
        note = f"  (below resolution 1/{m['n_different']})" if t["below_resolution"] else ""
        rows.append(
            _row(
                f"  TAR at FAR <= {t['far_target']:g}",
                f"{t['tar']:.4f} (FAR {t['far']:.4f}, threshold {t['threshold']:.4g}){note}",
            )
        )
    return "\n".join(rows)
