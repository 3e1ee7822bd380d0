"""The ``siamkit`` command line: ``main(argv) -> exit status`` (see :mod:`siamkit.cli.command`).

Every command is one module of this package, in one shape:

* ``EXAMPLES``: shell lines, shown under ``examples:`` in the command's ``--help``;
* ``add_parser(subparsers)``: declares the command with :func:`~siamkit.cli._common.add_command`
  (name, one-line help, description, examples), its flags (``--json`` through ``add_json_flag``),
  and ``set_defaults(func=run)``;
* ``run(args) -> int``: does the work and returns 0. Results go to stdout through ``emit`` (the
  text, or one JSON document with ``--json``); progress goes to stderr. A command fails by raising
  a :class:`~siamkit.errors.SiamkitError` that names the input and the problem (``ConfigError``
  for a flag, ``DataError`` for an input); it never prints errors or exits by itself.

Raw inputs named on the command line are read by :mod:`siamkit.inputs`, as the HTTP service
reads its requests' inputs. To add a command: its module here, its line in ``COMMANDS``
(:mod:`siamkit.cli.command`), and its row in the exit-status test (tests/cli/test_exit_codes.py).

Exit status, the same for every command, ``python -m siamkit`` and the ``python -m
siamkit.gallery`` / ``python -m siamkit.serve`` aliases:

* 0: done; a decision is an answer, not a failure ("different", "rejected", "ANOMALY" exit 0);
* 1: an error (bad input, missing file, unknown config key...), in one or two lines on stderr;
* 2: a usage error found by the parser (unknown flag, missing argument, bad value type);
* 130: interrupted (Ctrl-C).
"""

from .command import build_parser, main

__all__ = ["build_parser", "main"]
