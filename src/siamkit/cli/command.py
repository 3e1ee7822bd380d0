"""The ``siamkit`` command: the parser of every subcommand, and how errors reach the user.

Every failure ends as one or two readable lines on stderr and a non-zero exit status, never a
traceback (the exit codes are listed in :mod:`siamkit.cli`). ``--debug`` (any position) or
``SIAMKIT_DEBUG=1`` prints the traceback as well. Warnings are shown as ``siamkit: warning: ...``
lines; progress and per-epoch figures go to stderr, results to stdout (``--json`` makes stdout one
JSON document for scripts).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..version import __version__
from ..errors import SiamkitError
from . import anomaly, dedupe, demo, embed, evaluate, export, gallery, search, serve, track, train, verify
from ._common import HelpFormatter, Parser

# Every command, in the order `siamkit --help` lists them; each module has add_parser(subparsers).
COMMANDS = (train, evaluate, verify, embed, export, search, dedupe, demo, gallery, serve, track,
            anomaly)
EXAMPLES = """\
examples:
  siamkit demo                                   train on built-in digits, write a report
  siamkit train examples/mnist_contrastive.toml --out runs/mnist --epochs 5
  siamkit train exp.toml --set loss.args.margin=0.5 --set training.lr=3e-4
  siamkit evaluate runs/mnist/model --config runs/mnist/config.toml
  siamkit verify runs/mnist/model a.png b.png
  siamkit embed runs/mnist/model images/ --out embeddings.npy

Add --debug (or set SIAMKIT_DEBUG=1) to see the traceback of an error."""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="siamkit", formatter_class=HelpFormatter, epilog=EXAMPLES,
        description="Siamese (twin) neural networks: train, calibrate, evaluate, verify, embed. "
                    "Labels: 1 = same, 0 = different; scores: higher = more similar.")
    parser.add_argument("--version", action="version", version=f"siamkit {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error (also SIAMKIT_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("SIAMKIT_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    try:
        with _cli_output():
            parser = build_parser()
            try:
                args = parser.parse_args(argv)
            except SystemExit as exc:  # --help, --version (0) or a usage error (2)
                return exc.code if isinstance(exc.code, int) else 2
            return int(args.func(args) or 0)
    except KeyboardInterrupt as exc:
        _error(f"interrupted{': ' + str(exc) if str(exc) else ''}", debug)
        return 130
    except BrokenPipeError:  # `siamkit ... | head`: the reader left; not an error of ours
        _silence_stdout()
        return 0
    except SiamkitError as exc:
        _error(f"error: {exc}", debug)
    except OSError as exc:
        _error(f"error: {_os_message(exc)}", debug)
    except (ValueError, TypeError, RuntimeError) as exc:
        _error(f"error: {_first_line(exc)}", debug, hint=True)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a raw traceback
        _error(f"internal error: {type(exc).__name__}: {_first_line(exc)}", debug, hint=True)
    return 1


def _error(message: str, debug: bool, hint: bool = False) -> None:
    if debug:
        traceback.print_exc(file=sys.stderr)
    print(f"siamkit: {message}", file=sys.stderr)
    if hint and not debug:
        print("siamkit: run again with --debug (or SIAMKIT_DEBUG=1) for the traceback",
              file=sys.stderr)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _os_message(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return _first_line(exc)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@contextmanager
def _cli_output() -> Iterator[None]:
    """Warnings as one ``siamkit: warning:`` line; siamkit's log (epochs) to stderr."""
    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message).strip().splitlines()
        name = "warning" if issubclass(category, UserWarning) else category.__name__
        print(f"siamkit: {name}: {text[0] if text else ''}", file=sys.stderr)

    logger = logging.getLogger("siamkit")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    with warnings.catch_warnings():
        warnings.showwarning = show
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
            logger.propagate = old_propagate
