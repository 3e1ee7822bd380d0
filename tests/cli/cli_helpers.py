"""Assertions shared by the command-line tests."""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass
class Result:
    code: int
    out: str
    err: str


def assert_clean_error(result: Result, code: int = 1) -> None:
    """A readable failure: the exit status, one or two stderr lines, no traceback."""
    assert result.code == code, (result.code, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, result.err
    assert "Traceback" not in result.err


def command_names() -> set[str]:
    """The subcommands of ``siamkit``, as its parser knows them."""
    from siamkit.cli import build_parser

    parser = build_parser()
    return set(next(a for a in parser._actions
                    if isinstance(a, argparse._SubParsersAction)).choices)
