"""How the command line fails: readable lines, the right exit status, no traceback."""

from __future__ import annotations

import argparse
import pkgutil
import subprocess
import sys
import warnings

import pytest
from cli_helpers import assert_clean_error, command_names

import siamkit.cli
import siamkit.cli.command as cli_main
from siamkit.cli import verify
from siamkit.errors import DataError, SiamkitWarning


def _raise(exc: BaseException):
    def run(args: argparse.Namespace) -> int:
        raise exc
    return run


@pytest.mark.parametrize("exc, code, text", [
    (DataError("pairs.csv, line 3, column is_duplicate: label 'x' must be 0 or 1"), 1,
     "siamkit: error: pairs.csv, line 3, column is_duplicate"),
    (FileNotFoundError(2, "No such file or directory", "a.png"), 1,
     "siamkit: error: a.png: No such file or directory"),
    (PermissionError(13, "Permission denied", "/root/x"), 1, "siamkit: error: /root/x: Permission denied"),
    (ValueError("bad shape\nsecond line of a long torch message\nthird"), 1, "siamkit: error: bad shape"),
    (RuntimeError("mat1 and mat2 shapes cannot be multiplied"), 1, "siamkit: error: mat1 and mat2"),
    (ZeroDivisionError("division by zero"), 1, "siamkit: internal error: ZeroDivisionError"),
    (KeyboardInterrupt(), 130, "siamkit: interrupted"),
])
def test_errors_become_lines_and_exit_codes(cli, monkeypatch, vector_model, exc, code, text):
    monkeypatch.setattr(verify, "run", _raise(exc))
    result = cli("verify", vector_model, "1,2,3,4", "1,2,3,4")
    assert_clean_error(result, code)
    assert result.err.startswith(text)


def test_debug_shows_the_traceback(cli, monkeypatch, vector_model):
    monkeypatch.setattr(verify, "run", _raise(DataError("broken input")))
    for argv in (("--debug", "verify", vector_model, "1", "2"), ("verify", vector_model, "1", "2", "--debug")):
        result = cli(*argv)
        assert result.code == 1
        assert "Traceback" in result.err and "siamkit: error: broken input" in result.err
    monkeypatch.setenv("SIAMKIT_DEBUG", "1")
    assert "Traceback" in cli("verify", vector_model, "1", "2").err


def test_usage_errors_exit_2_in_two_lines(cli):
    assert_clean_error(cli("bogus"), 2)
    assert_clean_error(cli("train"), 2)
    assert_clean_error(cli("evaluate", "model"), 2)  # --config or --data required
    result = cli("verify", "m", "a", "b", "--threshold", "high")
    assert_clean_error(result, 2)
    assert "invalid float value: 'high'" in result.err
    assert "see 'siamkit verify --help'" in result.err


def test_warnings_are_one_line(cli, monkeypatch, vector_model):
    def warn(args):
        warnings.warn("data.csv: 3 of 10 rows skipped (empty label)", SiamkitWarning, stacklevel=2)
        return 0
    monkeypatch.setattr(verify, "run", warn)
    result = cli("verify", vector_model, "1", "2")
    assert result.code == 0
    assert result.err == "siamkit: warning: data.csv: 3 of 10 rows skipped (empty label)\n"


def test_every_command_module_is_registered():
    """Each command module of siamkit.cli is a `siamkit` command: none can vanish (the parts
    they drive, and the packages those need, are all installed with siamkit)."""
    modules = {m.name for m in pkgutil.iter_modules(siamkit.cli.__path__)
               if not m.name.startswith("_") and m.name != "command"}
    assert modules == {m.__name__.rsplit(".", 1)[1] for m in cli_main.COMMANDS}
    assert command_names() == {"train", "evaluate", "verify", "embed", "search", "dedupe", "demo",
                                "gallery", "serve", "track", "anomaly", "export"}


def test_python_dash_m_and_broken_pipe():
    """``python -m siamkit`` works, and a closed stdout (``| head``) is not an error."""
    done = subprocess.run([sys.executable, "-m", "siamkit", "--version"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and done.stdout.startswith("siamkit ")
    proc = subprocess.Popen([sys.executable, "-m", "siamkit", "--help"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader goes away at once
    _, err = proc.communicate()
    assert b"Traceback" not in err
