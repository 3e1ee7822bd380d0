"""``siamkit evaluate MODEL``: verification metrics of a saved model on labelled data.

Pairs come from the data (balanced same/different pairs of labelled samples, or the pairs of a pairs
file); the threshold is the model's calibrated one, one given with ``--threshold``, or one chosen
with ``--calibrate`` on *validation* data (``--val``, or the config's validation split), never on
the pairs being evaluated. Writes metrics.json and plots (ROC with the operating point, score
histograms, FAR/FRR sweep) to ``--out``; labelled data also get one-shot and retrieval figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._common import add_command, add_json_flag, emit, load_model

EXAMPLES = """\
  siamkit evaluate runs/mnist/model --config runs/mnist/config.toml
  siamkit evaluate runs/digits/model --data digits:test --out eval/
  siamkit evaluate runs/faces/model --data faces_test/ --val faces_val/ --calibrate --rule far --target-far 0.001
  siamkit evaluate runs/questions/model --data test_pairs.csv --json
  siamkit evaluate runs/faces/model --data faces_pairs.csv --folds 10   LFW's 10-fold accuracy"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    from ..evaluation import RULES
    from ._data_spec import spec_help

    p = add_command(subparsers, "evaluate", "verification metrics of a model on test data",
                    "Evaluate a saved model on same/different pairs: ROC AUC, EER, accuracy / FAR / "
                    "FRR at the threshold, TAR at fixed FAR, with plots and metrics.json; one-shot "
                    "and retrieval figures for labelled data. The threshold is never chosen on the "
                    "evaluated pairs.", EXAMPLES)
    p.add_argument("model", help="model folder (config.json + model.safetensors)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", help="an experiment config (e.g. a run's config.toml): its test split")
    src.add_argument("--data", help=spec_help())
    p.add_argument("--labels", help="labels .npy for --data x.npy")
    p.add_argument("--val", help="validation data for --calibrate (same forms as --data)")
    p.add_argument("--data-dir", help="folder of the named datasets (else $SIAMKIT_DATA)")
    p.add_argument("--calibrate", action="store_true",
                   help="choose the threshold on validation data instead of the model's own")
    p.add_argument("--rule", choices=RULES, default="accuracy", help="threshold rule for --calibrate")
    p.add_argument("--target-far", type=float, default=0.01, help="target FAR of --rule far")
    p.add_argument("--threshold", type=float, help="use this threshold (score scale)")
    p.add_argument("--bootstrap", type=int, default=0, help="resamples for 95%% confidence intervals")
    p.add_argument("--folds", type=int, metavar="K",
                   help="also the k-fold protocol of LFW on the test pairs: each fold's threshold "
                        "chosen (by --rule) on the other K-1 folds, mean and std of the held-out "
                        "accuracies (K >= 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the pairs, episodes and resamples")
    p.add_argument("--out", "-o", default="siamkit-eval", help="folder for metrics.json and plots")
    p.add_argument("--no-plots", action="store_true", help="write metrics.json only")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a value of --config (e.g. data.data_dir=...)")
    add_json_flag(p)
    p.set_defaults(func=run)
    return p


def _data(args: argparse.Namespace, model: Any) -> tuple[Any, Any, Any]:
    """(test data, validation data or None, EvaluationConfig)."""
    from ..config import EvaluationConfig, load_config
    from ._data_spec import load_spec

    if args.config:
        from ..experiment import load_splits

        cfg = load_config(args.config, args.overrides)
        splits = load_splits(cfg.data, cfg.source)
        return splits.test, splits.val, cfg.evaluation
    if args.overrides:
        raise ConfigError("--set applies to --config only")
    test = load_spec(args.data, model, "test", args.labels, args.data_dir, "--data")
    val = load_spec(args.val, model, "val", None, args.data_dir, "--val") if args.val else None
    return test, val, EvaluationConfig()


def run(args: argparse.Namespace) -> int:
    from ..evaluation import evaluate_model, format_metrics_table, write_metrics_json
    from ..evaluation.plots import VERIFICATION_PLOTS

    if args.calibrate and args.threshold is not None:
        raise ConfigError("--calibrate and --threshold: choose one")
    model = load_model(args.model, args.device)
    test, val, ev = _data(args, model)
    ev.bootstrap, ev.pairs_seed = args.bootstrap, args.seed
    ev.threshold_rule, ev.target_far = args.rule, args.target_far
    if args.folds is not None:
        if args.folds < 2:
            raise ConfigError(f"--folds: need at least 2 folds, got {args.folds}")
        ev.folds = args.folds
    if args.calibrate and val is None:
        raise ConfigError("--calibrate needs validation data: --val SPEC (or --config)")
    out = Path(args.out)
    result = evaluate_model(model, test, val if args.calibrate else None, config=ev,
                            threshold=args.threshold, description="validation scores",
                            plots=None if args.no_plots else out)
    # metrics.json of `evaluate` is flat: the test figures, then the files, pairs and extras.
    test_figures = result["test"]
    pairs_note = test_figures.pop("pairs")
    files = {"metrics": "metrics.json"}
    if not args.no_plots:
        files.update({name: f"{name}.png" for name in VERIFICATION_PLOTS})
    extra = {k: result[k] for k in ("one_shot", "retrieval") if k in result}
    metrics = {**test_figures, "files": files, "pairs": pairs_note, **extra}
    write_metrics_json(metrics, out / "metrics.json")
    table = format_metrics_table(metrics)
    lines = [table, f"  pairs: {pairs_note}"]
    shot = extra.get("one_shot") or {}
    if shot.get("accuracy") is not None:
        lines.append(f"  {shot['n_way']}-way {shot['k_shot']}-shot accuracy{'':<14}"
                     f"{shot['accuracy']:.4f} ({shot['episodes']} episodes)")
    ret = extra.get("retrieval") or {}
    if ret.get("recall_at_1") is not None:
        lines.append(f"  Recall@1 / MAP@R{'':<18}{ret['recall_at_1']:.4f} / {ret.get('map_at_r', float('nan')):.4f}")
    lines.append(f"wrote {out / 'metrics.json'}" + ("" if args.no_plots else " and plots"))
    # the curve and the worst pairs' thumbnails are in metrics.json
    summary = {k: v for k, v in metrics.items() if k not in ("roc", "worst_pairs")}
    emit(args, {**summary, "out": str(out)}, "\n".join(lines))
    return 0
