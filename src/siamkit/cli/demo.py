"""``siamkit demo``: the main job end to end on built-in data, in well under two minutes."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_command, add_json_flag
from ._run_output import print_run

EXAMPLES = """\
  siamkit demo
  siamkit demo --out /tmp/demo --json
  siamkit demo --epochs 3 --set loss.args.margin=2.0"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = add_command(subparsers, "demo", "train, calibrate and evaluate on built-in digits; write a report",
                    "Train a Siamese convnet on scikit-learn's built-in 8x8 digits (no download) with "
                    "the contrastive loss, choose the threshold on validation pairs, evaluate on test "
                    "pairs and 10-way one-shot episodes, and write a report. Seeded and repeatable. "
                    "`siamkit train --dry-run` shows how any config resolves; the demo's own config is "
                    "saved in its folder as config.toml.", EXAMPLES)
    p.add_argument("--out", "-o", default="siamkit-demo", help="run folder (replaced if it holds a demo)")
    p.add_argument("--epochs", type=int, help="training epochs (default: the demo's 12)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a demo config value, e.g. --set training.lr=0.001")
    add_json_flag(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..experiment import run_demo

    overrides = list(args.overrides) + ([f"training.epochs={args.epochs}"] if args.epochs else [])
    result = run_demo(args.out, overrides)
    print_run(args, result)
    if not args.json:
        print(f"open {result.report.resolve().as_uri()} in a browser to see the report")
    return 0
