"""One exit-status convention for every command (see siamkit.cli): 1 for an error, 2 for a usage
error, each in one or two lines without a traceback; the same through the ``python -m`` aliases."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli_helpers import assert_clean_error, command_names

# command -> arguments that fail with a siamkit error (a missing file or a bad flag value), fast.
ERRORS = {
    "train": ["{tmp}/missing.toml"],
    "evaluate": ["{tmp}/missing", "--data", "{tmp}/missing.csv"],
    "verify": ["{tmp}/missing", "a", "b"],
    "embed": ["{tmp}/missing", "a", "--out", "{tmp}/e.npy"],
    "search": ["{tmp}/missing", "--corpus", "{tmp}/c.txt", "a"],
    "dedupe": ["{tmp}/missing", "{tmp}/c.txt"],
    "export": ["{tmp}/missing", "{tmp}/out", "--format", "onnx"],
    "demo": ["--set", "no_such_section.key=1", "--out", "{tmp}/demo"],
    "gallery": ["list", "-g", "{tmp}/missing"],
    "serve": ["{tmp}/missing", "--port", "0"],
    "track": ["{tmp}/missing"],
    "anomaly": ["{tmp}/missing", "--gallery", "{tmp}/g"],
}


def test_every_command_is_in_the_table():
    assert set(ERRORS) == command_names()


@pytest.mark.parametrize("command", sorted(ERRORS))
def test_an_error_exits_1(cli, tmp_path, command):
    result = cli(command, *[a.format(tmp=tmp_path) for a in ERRORS[command]])
    assert_clean_error(result, 1)
    assert result.err.startswith("siamkit: error:"), result.err


@pytest.mark.parametrize("command", sorted(ERRORS))
def test_a_usage_error_exits_2(cli, command):
    result = cli(command, "--no-such-flag")
    assert_clean_error(result, 2)
    assert "unrecognized arguments: --no-such-flag" in result.err or "required" in result.err


@pytest.mark.parametrize("alias", ["gallery", "serve"])
def test_python_dash_m_aliases_follow_the_convention(tmp_path, alias):
    argv = {"gallery": ["gallery", "list", "-g", str(tmp_path / "missing")],
            "serve": ["serve", str(tmp_path / "missing")]}[alias]
    done = subprocess.run([sys.executable, "-m", f"siamkit.{alias}", *argv], capture_output=True,
                          text=True, check=False, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("siamkit: error:") and "Traceback" not in done.stderr
    usage = subprocess.run([sys.executable, "-m", f"siamkit.{alias}", alias, "--no-such-flag"],
                           capture_output=True, text=True, check=False, timeout=120)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
