"""Run one command's ``add_parser`` on its own (``python -m siamkit.serve``), printing siamkit
errors in one line without a traceback, as the main ``siamkit`` command does."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Sequence

from .errors import SiamkitError


def main(add_parser: Callable[[Any], argparse.ArgumentParser],
         argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="siamkit")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SiamkitError as exc:
        print(f"siamkit: error: {exc}", file=sys.stderr)
        return 2
