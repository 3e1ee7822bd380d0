"""Disks that fail, for the write tests (a plain module, not a conftest).

``failing_open(after, mode)`` replaces ``open`` in a module: files opened for writing accept
``after`` bytes, then raise ENOSPC (``mode="raise"``), store only part of each later write
(``"short"``) or store nothing and say so by returning 0 (``"zero"``). ``tiny_filesystem(folder,
size)`` mounts a real tmpfs of ``size`` bytes (root only; skips where mounting is not allowed,
as in most CI containers) and unmounts it afterwards.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest


class _FailingFile:
    def __init__(self, fh, budget: list[int], mode: str) -> None:
        self._fh, self._budget, self._mode = fh, budget, mode

    def write(self, data) -> int:
        data = memoryview(data).cast("B")
        room = self._budget[0]
        if len(data) <= room:
            self._budget[0] -= len(data)
            return self._fh.write(data)
        if self._mode == "raise":
            self._fh.write(data[:room])
            self._budget[0] = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        keep = room if self._mode == "zero" else max(room, len(data) // 2)
        self._budget[0] = 0
        n = self._fh.write(data[:keep]) if keep else 0
        return 0 if self._mode == "zero" and not keep else n

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._fh.close()


def failing_open(after: int, mode: str = "raise"):
    budget = [after]

    def fake_open(file, open_mode="r", *args, **kwargs):
        fh = builtins.open(file, open_mode, *args, **kwargs)
        return _FailingFile(fh, budget, mode) if "w" in open_mode else fh

    return fake_open


@contextlib.contextmanager
def tiny_filesystem(folder: Path, size: int) -> Iterator[Path]:
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real tiny filesystem needs root and mount (tmpfs); fault injection "
                    "covers the same paths")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()[:100]})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder: Path, leave: int = 0) -> None:
    """Fill the filesystem of ``folder`` until about ``leave`` bytes are free."""
    with builtins.open(folder / "filler", "wb") as fh:
        free = shutil.disk_usage(folder).free - leave
        try:
            fh.write(b"\0" * max(0, free))
            fh.flush()
        except OSError:
            pass
