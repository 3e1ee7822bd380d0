"""Durable, atomic file writes that fail loudly: a good file is never replaced by a short one.

Every write goes to a temporary file in the target's own folder (same filesystem); then its size is
checked (against the bytes written, where the writer is ours, or against ``min_size``), the file
is flushed to the disk (``fsync``), renamed over the target (``os.replace``, atomic on POSIX and
Windows) and the folder itself is fsynced, so that the rename survives a power cut (the POSIX
recipe; see the "Files are hard" notes of Dan Luu and the ext4 ``auto_da_alloc`` discussion).

A write that fails (a full disk, a quota, a writer that reported fewer bytes than it was given, a
library that printed an error and wrote nothing) raises :class:`~siamkit.errors.WriteError` that
names the target, says what went wrong and how much room is left, and the target keeps its old
content.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import WriteError

_CHUNK = 1 << 20
_FULL = 1 << 20  # less room than this left after a failed write: the device is full


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, min_size: int = 1,
                check: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` for a writer to fill; when the block ends, the file
    must hold at least ``min_size`` bytes and pass ``check(path)`` (a reader that raises on a bad
    file);
    then it replaces ``target`` durably. On any error it is removed and ``target`` is left as it
    was; an OSError of the writer becomes a :class:`WriteError` naming ``target``."""
    target = Path(target)
    tmp = _temporary(target)
    try:
        yield tmp
        size = tmp.stat().st_size
        if size < min_size:
            raise WriteError(f"{target}: the writer produced {size} bytes (at least {min_size} "
                             f"expected){_room(target)}; the previous file is kept")
        if check is not None:
            try:
                check(tmp)
            except Exception as exc:  # noqa: BLE001 - whatever the reader raises: unusable
                raise WriteError(f"{target}: the written file is unusable ({exc}){_room(target)}; "
                                 "the previous file is kept") from None
        _fsync_file(tmp)
        os.replace(tmp, target)
        fsync_folder(target.parent)
    except WriteError:
        _discard(tmp)
        raise
    except OSError as exc:
        _discard(tmp)
        raise WriteError(write_failure(target, exc)) from exc
    except BaseException:
        _discard(tmp)
        raise


def atomic_write_bytes(target: str | os.PathLike, data: bytes | memoryview) -> Path:
    """Write ``data`` to ``target`` atomically, checking that every byte reached the file."""
    view = memoryview(data).cast("B")
    with atomic_path(target, min_size=0) as tmp:
        with open(tmp, "wb", buffering=0) as fh:
            write_all(fh, view, target)
        check_size(tmp, len(view), target)
    return Path(target)


def atomic_write_text(target: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(target, text.encode("utf-8"))


def atomic_write_json(target: str | os.PathLike, data: Any) -> Path:
    return atomic_write_text(target, json.dumps(data, indent=2, allow_nan=False) + "\n")


def write_all(fh: Any, data: memoryview, target: Path) -> int:
    """Write all of ``data`` to the unbuffered file ``fh`` in chunks; a write that stores nothing
    (a full device that does not raise) is a :class:`WriteError`. Returns the bytes written."""
    done = 0
    while done < len(data):
        n = fh.write(data[done:done + _CHUNK])
        if not n:
            raise WriteError(f"{target}: the device accepted no more bytes after {done} of "
                             f"{len(data)}{_room(target)}; the previous file is kept")
        done += n
    return done


def check_size(file: Path, expected: int, target: Path) -> None:
    """Refuse a file that does not hold exactly the ``expected`` bytes that were written."""
    size = file.stat().st_size
    if size != expected:
        raise WriteError(f"{target}: {size} bytes reached the disk of {expected} written"
                         f"{_room(target)}; the previous file is kept")


def write_failure(target: str | os.PathLike, exc: BaseException) -> str:
    """One line: ``target``, what failed (the OS's words, or the library's first line) and how
    much room is left on its filesystem."""
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT):
        what = "no space left on the device" if code == errno.ENOSPC else "disk quota exceeded"
    elif isinstance(exc, OSError) and exc.strerror:
        what = exc.strerror
    else:
        text = str(exc).strip().splitlines()
        what = f"{type(exc).__name__}: {text[0][:200] if text else ''}"
        if _free(target) is not None and _free(target) < _FULL:  # a library's words for ENOSPC
            what = f"the device is full; {what}"
    return f"{target}: could not be written ({what}){_room(target)}; the previous file is kept"


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename, a new file) to the disk; a no-op where folders cannot
    be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems refuse fsync on folders: nothing more can be done
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _temporary(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise WriteError(write_failure(target, exc)) from exc
    os.close(fd)
    tmp = Path(name)
    # mkstemp creates files readable by the owner only; give the file the mode an ordinary
    # open() would (0666 less the umask), since models and reports are meant to be shared.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return tmp


def _fsync_file(file: Path) -> None:
    with open(file, "rb+") as fh:
        os.fsync(fh.fileno())


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def _free(target: Path) -> int | None:
    try:
        return shutil.disk_usage(Path(target).parent).free
    except OSError:
        return None


def _room(target: Path) -> str:
    free = _free(target)
    if free is None:
        return ""
    return f" ({_size(free)} free on its filesystem)"


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover
