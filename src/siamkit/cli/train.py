"""``siamkit train CONFIG``: run the experiment a TOML config describes, into a run folder."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path
from typing import Any

from ._common import add_command, add_json_flag
from ._run_output import print_run

EXAMPLES = """\
  siamkit train examples/mnist_contrastive.toml --out runs/mnist
  siamkit train examples/digits_mlp.toml --epochs 3 --set loss.args.margin=0.5
  siamkit train examples/digits_arcface.toml --loss cosface   any registered loss by name
  siamkit train exp.toml --out runs/exp --resume        continue an interrupted run
  siamkit train exp.toml --dry-run                      check the config, print it resolved
  siamkit train exp.toml --folds 10                     test figures also as 10-fold (LFW) accuracy
  siamkit train examples/mnist_timm_finetune.toml --set training.freeze_backbone_epochs=1
      fine-tune a timm backbone; [training] keys warmup_steps, step_schedule, accumulate_steps,
      freeze_backbone_epochs / _steps, backbone_lr, freeze_batchnorm (needs siamkit[vision])

A run folder holds model/ (the calibrated model), metrics.json, history.json, config.toml,
plots/ and report.html. See examples/*.toml for configs; every key is optional."""

# flag -> (config key, type, help)
FLAGS = {
    "--loss": ("loss.name", str, "the loss, by its registered name (listed below)"),
    "--epochs": ("training.epochs", int, "training epochs"),
    "--lr": ("training.lr", float, "learning rate"),
    "--batch-size": ("batches.batch_size", int, "samples (or pairs) per training batch"),
    "--seed": ("training.seed", int, "seed of the weights and batches"),
    "--device": ("training.device", str, "auto, cpu, cuda or cuda:N"),
    "--folds": ("evaluation.folds", int, "also k-fold held-out accuracy of the test pairs "
                "(each fold's threshold chosen on the other folds; 0: none)"),
    "--data-dir": ("data.data_dir", str, "folder of the named datasets (else $SIAMKIT_DATA)"),
}


def add_overrides(p: argparse.ArgumentParser) -> None:
    """``--set section.key=value`` (repeatable) and the common shortcut flags."""
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set training.epochs=3 (repeatable)")
    for flag, (key, kind, text) in FLAGS.items():
        p.add_argument(flag, type=kind, dest=f"flag_{key}", metavar=kind.__name__.upper(),
                       help=f"{text} (same as --set {key}=...)")


def overrides_of(args: argparse.Namespace) -> list[str]:
    out = list(args.overrides)
    for key, _kind, _help in FLAGS.values():
        value = getattr(args, f"flag_{key}", None)
        if value is not None:
            out.append(f"{key}={value}")
    return out


def override_flags(args: argparse.Namespace) -> list[str]:
    """The overrides as they were given on the command line (``--set K=V``, ``--epochs 3``,
    ``--no-progress``), to repeat them in the resume hint."""
    out = [part for text in args.overrides for part in ("--set", text)]
    for flag, (key, _kind, _help) in FLAGS.items():
        value = getattr(args, f"flag_{key}", None)
        if value is not None:
            out += [flag, str(value)]
    return out + (["--no-progress"] if args.no_progress else [])


def resume_command(args: argparse.Namespace, out: Path) -> str:
    """The shell line that continues this run exactly: the same config and overrides, quoted."""
    return shlex.join(["siamkit", "train", str(args.config), "--out", str(out), "--resume",
                       *override_flags(args)])


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(subparsers, "train", "train a model from a TOML experiment config",
                    "Load data, build the model, train, choose the decision threshold on validation "
                    "pairs, evaluate on test data, and write a run folder with the model, metrics, "
                    "plots and report.html.", EXAMPLES)
    p.add_argument("config", help="experiment config (TOML)")
    p.add_argument("--out", "-o", help="run folder (default: runs/<config name>)")
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted run in --out from its last checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="start afresh in a run folder that already holds a run")
    p.add_argument("--dry-run", action="store_true",
                   help="check the config and print it resolved (every default filled in); train nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_overrides(p)
    add_json_flag(p)
    p.set_defaults(func=run)
    p.more_help = _names  # type: ignore[attr-defined]
    return p


def _names() -> str:
    from ..catalog import help_listing  # reads the registries, which import torch

    return help_listing()


def default_out(name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._") or "run"
    return Path("runs") / slug


def run(args: argparse.Namespace) -> int:
    from ..config import config_to_dict, config_to_toml, load_config
    from ._common import emit

    overrides = overrides_of(args) + (["training.progress=false"] if args.no_progress else [])
    cfg = load_config(args.config, overrides)
    if args.dry_run:
        emit(args, config_to_dict(cfg), config_to_toml(cfg).rstrip("\n"))
        return 0
    out = Path(args.out) if args.out else default_out(cfg.name)
    from ..experiment import run_experiment

    try:
        result = run_experiment(cfg, out, resume=args.resume, overwrite=args.overwrite)
    except KeyboardInterrupt:
        saved = (out / "checkpoints" / "last.pt").is_file()
        again = f"continue it with: {resume_command(args, out)}" if saved else "no checkpoint was written yet"
        raise KeyboardInterrupt(f"training stopped; {again}") from None
    if result.metrics:  # under torchrun only rank 0 reports
        print_run(args, result)
    return 0
