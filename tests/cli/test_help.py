"""``--help`` everywhere, with examples; ``--version``."""

from __future__ import annotations

import pytest

from siamkit import __version__

COMMANDS = ["train", "evaluate", "verify", "embed", "demo", "gallery", "serve", "track", "anomaly"]


def test_top_level_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.code == 0
    for command in COMMANDS:
        assert command in result.out
    assert "examples:" in result.out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help_with_examples(cli, command):
    result = cli(command, "--help")
    assert result.code == 0 and result.err == ""
    assert f"usage: siamkit {command}" in result.out
    assert "examples:" in result.out and f"siamkit {command}" in result.out.split("examples:")[1]


def test_version(cli):
    result = cli("--version")
    assert result.code == 0 and result.out.strip() == f"siamkit {__version__}"
