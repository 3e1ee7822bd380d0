"""Downloading a file safely: checksum-verified, atomic, with a progress bar.

The file is streamed into a temporary file next to its destination while its MD5 is computed; only
when the size matches the announced length and the checksum matches is it renamed into place
(``os.replace`` is atomic on one file system). On any failure the temporary file is removed, so a
half-written or corrupt file is never left where a later run would trust it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Collection

from tqdm.auto import tqdm

from ...errors import DownloadError

_CHUNK = 1 << 16


def md5_of_file(path: str | Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(url: str, dest: str | Path, *, md5: str | Collection[str] | None = None,
                  timeout: float = 30.0, progress: bool = True) -> Path:
    """Download ``url`` to ``dest``; with ``md5`` (one hash or several accepted ones) verify it.

    Raises :class:`siamkit.errors.DownloadError` naming the URL and the problem (network error,
    HTTP status, truncated transfer, checksum mismatch); nothing is left at ``dest`` then.
    """
    dest = Path(dest)
    accepted = {md5} if isinstance(md5, str) else set(md5 or ())
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise DownloadError(f"{dest.parent}: cannot write the download there "
                            f"({exc.strerror or exc})") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest, received, total = _stream(url, out, timeout, progress, dest.name)
        if total is not None and received != total:
            raise DownloadError(f"{url}: truncated download ({received} of {total} bytes)")
        if accepted and digest not in accepted:
            raise DownloadError(f"{url}: checksum mismatch (MD5 {digest}, expected "
                                f"{' or '.join(sorted(accepted))}); the file was discarded")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _stream(url: str, out, timeout: float, progress: bool, label: str):
    import siamkit  # here, not at the top: siamkit's __init__ imports this package

    request = urllib.request.Request(url, headers={"User-Agent": f"siamkit/{siamkit.__version__}"})
    digest = hashlib.md5(usedforsecurity=False)
    received = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                      disable=not progress, leave=False) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise DownloadError(f"{url}: {exc.reason}") from None
    except (socket.timeout, TimeoutError):
        raise DownloadError(f"{url}: timed out after {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:  # reset, incomplete read, disk full
        raise DownloadError(f"{url}: {type(exc).__name__}: {exc}") from None
    return digest.hexdigest(), received, total
