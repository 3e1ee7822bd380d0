"""Who may call the service: an admin key for writes, an optional read-only key for reads.

Writes are the routes that change the gallery (:data:`WRITE_ROUTES`: enroll, enroll by upload,
remove an identity); every other route under ``/api/`` but health is a read. A request sends its
key in the ``X-API-Key`` header; keys are compared in constant time (``secrets.compare_digest``).

* writes need the admin key; a read key there is answered 403, a missing or wrong key 401;
* reads need the read key or the admin key unless ``open_reads`` (the default of ``siamkit serve``
  on a loopback address without ``--read-key``, so that the web pages work for local play);
* ``Auth.disabled()`` (``--no-auth``) lets anyone do anything.

A caller is logged by its *key id* (``admin:1a2b3c4d``, the role and the first 8 hex digits of the
key's SHA-256), never by the key. :func:`resolve_keys` is the command line's policy: where the
admin key comes from (given, or generated once and kept in a 0600 file in the gallery folder),
and what a non-loopback address demands.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from ..errors import ConfigError

API_KEY_HEADER = "X-API-Key"
WRITE_ROUTES = frozenset({"enroll", "enroll_upload", "remove"})
KEY_FILE_NAME = "api_key"


def key_id(role: str, key: str | None) -> str:
    """``role:<8 hex digits of SHA-256(key)>``, or ``role`` alone when there is no key."""
    if key is None:
        return role
    return f"{role}:{hashlib.sha256(key.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Auth:
    """``admin_key``: needed to write (None: writes open); ``read_key``: also accepted for reads;
    ``open_reads``: reads need no key at all."""

    admin_key: str | None = None
    read_key: str | None = None
    open_reads: bool = False

    def __post_init__(self) -> None:
        if self.read_key is not None and self.read_key == self.admin_key:
            raise ConfigError("the read key must differ from the admin key")
        for name in ("admin_key", "read_key"):
            key = getattr(self, name)
            if key is not None and (not key or not key.isprintable() or key != key.strip()):
                raise ConfigError(f"{name.replace('_', ' ')}: expected printable characters "
                                  "without surrounding spaces (a header value)")

    @classmethod
    def disabled(cls) -> "Auth":
        return cls(None, None, open_reads=True)

    def caller(self, given: str | None, write: bool) -> str:
        """The key id of the caller of a read or write, or an HTTPException (401/403)."""
        if self.admin_key is None and (write or self.read_key is None or self.open_reads):
            return "anonymous"
        if given is not None:
            if self.admin_key is not None and _same(given, self.admin_key):
                return key_id("admin", given)
            if self.read_key is not None and _same(given, self.read_key):
                if write:
                    raise HTTPException(403, "this key may only read: enrolling and removing "
                                             "need the admin key")
                return key_id("read", given)
        if not write and self.open_reads:
            return "anonymous"
        what = "the admin key" if write else "a key (read or admin)"
        raise HTTPException(401, f"missing or wrong API key: this route needs {what} in the "
                                 f"{API_KEY_HEADER} header", headers={"WWW-Authenticate": "ApiKey"})


def _same(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())


def auth_dependency(auth: Auth) -> Callable:
    """A FastAPI dependency: checks the key against the route's kind (read or write) and leaves
    the caller's key id in ``request.state.caller`` for the audit log."""
    header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                          description="The admin key (writes) or the read key (reads).")

    def check(request: Request, given: str | None = Security(header)) -> None:
        route = request.scope.get("route")
        request.state.caller = auth.caller(given, getattr(route, "name", None) in WRITE_ROUTES)

    return check


# ---- the command line's policy ------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


@dataclass(frozen=True)
class ResolvedKeys:
    auth: Auth
    lines: tuple[str, ...]  # what to tell the operator at startup


def read_key_file(path: Path, what: str) -> str:
    """The key in ``path`` (one line), refusing a file other users may read (as ssh does)."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(f"{what} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {path}: cannot read ({exc})") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{what} {path}: other users may read it (mode {stat.S_IMODE(mode):04o});"
                          f" run: chmod 600 {path}")
    if not text:
        raise ConfigError(f"{what} {path}: empty")
    return text


def _create_key_file(path: Path) -> str:
    key = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never overwrite a key another process just wrote; 0600 from the start.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
        f.flush()
        os.fsync(f.fileno())
    return key


def resolve_keys(*, host: str, no_auth: bool, allow_no_auth_network: bool,
                 api_key: str | None, api_key_file: Path | None, read_key: str | None,
                 key_dir: Path | None, has_writes: bool) -> ResolvedKeys:
    """The keys ``siamkit serve`` runs with, and what to print about them (see the README).

    The admin key: ``api_key`` (flag or variable), else ``api_key_file``, else ``key_dir/api_key``
    (the gallery folder), created with a new random key (mode 0600) on the first start and read
    again on later ones, so clients keep working across restarts; without a folder, a key made
    for this run only. A loopback server without a read key leaves reads open; any other address
    keys every route, and refuses ``no_auth`` unless ``allow_no_auth_network``."""
    loopback = is_loopback(host)
    if no_auth:
        if api_key or api_key_file or read_key:
            raise ConfigError("--no-auth: cannot be combined with --api-key, --api-key-file or "
                              "--read-key")
        if not loopback and not allow_no_auth_network:
            raise ConfigError(f"--no-auth on --host {host}: anyone who can reach it could enroll "
                              "and delete; add --allow-no-auth-network if this network is yours "
                              "alone, or drop --no-auth")
        return ResolvedKeys(Auth.disabled(), ("no authentication (--no-auth): anyone who can "
                                              f"reach {host} may enroll, delete and read",))
    lines = []
    if api_key:
        admin, where = api_key, "given"
    elif api_key_file is not None:
        admin, where = read_key_file(api_key_file, "--api-key-file"), f"from {api_key_file}"
    elif key_dir is not None and (key_dir / KEY_FILE_NAME).exists():
        path = key_dir / KEY_FILE_NAME
        admin, where = read_key_file(path, "admin key file"), f"from {path}"
    elif key_dir is not None:
        path = key_dir / KEY_FILE_NAME
        admin = _create_key_file(path)
        where = f"new, kept in {path} (mode 0600) for later starts"
        lines.append(f"admin API key ({where}): {admin}")
    elif has_writes or not loopback or read_key:
        admin = secrets.token_urlsafe(32)
        where = "new, for this run only"
        lines.append(f"admin API key ({where}): {admin}")
    else:
        admin = None
    open_reads = loopback and not read_key
    auth = Auth(admin, read_key or None, open_reads=open_reads)
    if admin is not None and not lines:
        lines.append(f"admin API key {where} (key id {key_id('admin', admin)})")
    if admin is not None:
        lines.append(f"writes (enroll, delete) need the admin key in the {API_KEY_HEADER} header")
    if open_reads:
        lines.append("reads need no key (loopback address, no --read-key)")
    else:
        also = f" or the read key (key id {key_id('read', read_key)})" if read_key else ""
        lines.append(f"reads need the admin key{also}")
    return ResolvedKeys(auth, tuple(lines))
