"""How ``train`` and ``demo`` report a finished run: a few lines of text, or JSON."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import emit


def run_summary(result: Any) -> tuple[dict[str, Any], str]:
    m = result.metrics
    test, info = m.get("test") or {}, m.get("threshold") or {}
    val = m.get("validation") or {}
    lines = [(f"{result.config.name}: trained {m['training']['epochs']} epochs "
              f"(best epoch {m['training']['best_epoch']}) in {result.seconds:.1f} s")]
    if val.get("far") is not None:
        lines.append(f"threshold {info.get('value', float('nan')):.4g} (rule {info.get('rule')}"
                     f"{_target(info)}), on validation pairs: accuracy {val['accuracy']:.4f}, "
                     f"FAR {val['far']:.4f}, FRR {val['frr']:.4f}")
    if test:
        at = f" at threshold {info.get('value', float('nan')):.4g}"
        if test.get("far") is not None:
            at = f", FAR {test['far']:.4f}, FRR {test['frr']:.4f}{at}"
        lines.append(f"test pairs: accuracy {test['accuracy']:.4f}, ROC AUC {test['roc_auc']:.4f}, "
                     f"EER {test['eer']:.4f}{at} (rule {info.get('rule')}, chosen on validation "
                     f"pairs)")
    kfold = test.get("kfold") if test else None
    if kfold:
        lines.append(f"test pairs, {kfold['k']}-fold: held-out accuracy "
                     f"{kfold['accuracy_mean']:.4f} +- {kfold['accuracy_std']:.4f} (each fold's "
                     f"threshold chosen on the other folds)")
    shot = m.get("one_shot") or {}
    if shot.get("accuracy") is not None:
        lo, hi = shot["ci95"]
        lines.append(f"{shot['n_way']}-way {shot['k_shot']}-shot accuracy {shot['accuracy']:.4f} "
                     f"(95% CI {lo:.4f}-{hi:.4f}, {shot['episodes']} episodes)")
    ret = m.get("retrieval") or {}
    if ret.get("recall_at_1") is not None:
        lines.append(f"retrieval: Recall@1 {ret['recall_at_1']:.4f}, MAP@R "
                     f"{ret.get('map_at_r', float('nan')):.4f}")
    said = m.get("warnings") or []
    if said:
        lines.append(f"caution: {len(said)} warning(s) about these figures, printed above and in "
                     f"metrics.json (\"warnings\")")
    lines += [f"model:  {result.model_dir}", f"report: {result.report}"]
    data = {"name": result.config.name, "out": str(result.out_dir), "model": str(result.model_dir),
            "report": str(result.report), "metrics": str(result.out_dir / "metrics.json"),
            "seconds": result.seconds, "threshold": info.get("value"),
            "test": {k: test.get(k) for k in ("accuracy", "roc_auc", "eer", "far", "frr")},
            "kfold": kfold or None, "one_shot": shot.get("accuracy"), "recall_at_1": ret.get("recall_at_1"),
            "training": m.get("training"),
            "validation": {k: val.get(k) for k in ("accuracy", "far", "frr")},
            "warnings": said}
    return data, "\n".join(lines)


def _target(info: dict[str, Any]) -> str:
    return f", target FAR {info['target_far']:g}" if info.get("target_far") is not None else ""


def print_run(args: argparse.Namespace, result: Any) -> None:
    data, text = run_summary(result)
    emit(args, data, text)
