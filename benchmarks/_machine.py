"""What every benchmark records beside its figures: the machine, the software, the exact command.

Timings mean little without the CPU model, the cores the process may use, torch's thread counts and
how busy the machine was (the 1-minute load average, read before and after the run), so each
benchmark's JSON carries :func:`machine_info` and :func:`command_line`.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() + ("+changes" if dirty else "")) if out.returncode == 0 else None


def machine_info() -> dict[str, Any]:
    import numpy
    import torch

    import siamkit

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "numpy": numpy.__version__,
        "siamkit": siamkit.__version__,
        "git_commit": git_commit(),
        "load_average_1min": load_average(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def command_line(script: str, argv: list[str] | None) -> str:
    """The command that reproduces this run, from the repository root."""
    args = sys.argv[1:] if argv is None else list(argv)
    data = os.environ.get("SIAMKIT_DATA")
    env = f"SIAMKIT_DATA={shlex.quote(data)} " if data else ""
    return f"{env}PYTHONPATH=src python {shlex.join([script, *args])}"


def set_threads(threads: int | None) -> None:
    """torch's intra-op threads (None or 0: leave torch's default, one per core)."""
    if threads:
        import torch

        torch.set_num_threads(int(threads))
