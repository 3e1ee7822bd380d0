"""Peak resident memory of a piece of work in this process (Linux), for the benchmarks.

tracemalloc does not see torch's allocations, so the benchmarks measure the resident set: the
kernel's high-water mark (VmHWM) is reset through /proc/self/clear_refs before the work and read
after it. Where that file is not writable, ru_maxrss (the process's lifetime peak) is used, which
only shows work that goes above everything before it: run each case in a fresh process.
"""

from __future__ import annotations

import resource
from collections.abc import Callable
from pathlib import Path


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def peak_rise_mib(work: Callable[[], object]) -> tuple[float, str, object]:
    """``(MiB the resident set rose above its level before, method, work's result)``."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current VmRSS
        before = _status_mib("VmRSS")
        result = work()
        return _status_mib("VmHWM") - before, "VmHWM", result
    except OSError:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result = work()
        return (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before,
            "ru_maxrss",
            result,
        )
