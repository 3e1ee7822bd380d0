"""The ``siamkit`` command line. ``main(argv) -> exit status``; see :mod:`siamkit.cli.command`."""

from .command import build_parser, main

__all__ = ["build_parser", "main"]
