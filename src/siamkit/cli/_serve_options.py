"""The options of ``siamkit serve`` that guard the service: keys, TLS, the audit log and limits.

Kept apart from the command itself so that each group reads as one policy: who may call
(:func:`siamkit.serve.auth.resolve_keys`), over what (TLS), what is recorded, and how much one
request may cost (:class:`siamkit.serve.Limits`, whose defaults the flags show).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..serve import API_KEY_HEADER, Limits, resolve_keys

API_KEY_ENV = "SIAMKIT_API_KEY"
READ_KEY_ENV = "SIAMKIT_READ_KEY"
AUDIT_FILE_NAME = "audit.jsonl"
DEFAULTS = Limits()


def add_security_arguments(p: argparse.ArgumentParser) -> None:
    keys = p.add_argument_group(
        "keys (writes need the admin key by default; see the README's 'What the service "
        "promises')")
    keys.add_argument("--api-key", help=f"the admin key, sent in the {API_KEY_HEADER} header "
                                        f"(default: ${API_KEY_ENV}, else --api-key-file, else "
                                        "GALLERY/api_key, made with a new key on the first "
                                        "start; prefer the variable or a file: command lines "
                                        "are visible to other users)")
    keys.add_argument("--api-key-file", type=Path, help="read the admin key from this file "
                                                        "(mode 0600)")
    keys.add_argument("--read-key", help="a read-only key: with it, reads need it (or the admin "
                                         f"key) (default: ${READ_KEY_ENV})")
    keys.add_argument("--read-key-file", type=Path, help="read the read-only key from this file")
    keys.add_argument("--no-auth", action="store_true",
                      help="no key for anything (local play; refused on a non-loopback --host "
                           "without --allow-no-auth-network)")
    keys.add_argument("--allow-no-auth-network", action="store_true",
                      help="let --no-auth serve a non-loopback --host")
    keys.add_argument("--audit-log", type=Path, help="JSON-lines log of enrollments and removals "
                                                     f"(default: GALLERY/{AUDIT_FILE_NAME})")
    tls = p.add_argument_group("TLS (HTTPS, uvicorn's)")
    tls.add_argument("--ssl-certfile", type=Path, help="PEM certificate (chain)")
    tls.add_argument("--ssl-keyfile", type=Path, help="PEM private key of the certificate")


def add_limit_arguments(p: argparse.ArgumentParser) -> None:
    d = DEFAULTS
    lim = p.add_argument_group("limits (what one request, or all at once, may cost)")
    lim.add_argument("--max-request-mb", type=float, default=d.max_request_bytes / 2**20,
                     help="largest request body, MB")
    lim.add_argument("--max-batch", type=int, default=d.max_batch, help="most inputs per request")
    lim.add_argument("--max-image-pixels", type=int, default=d.max_image_pixels,
                     help="most pixels of one image, read from its header before decoding "
                          "(4096x4096)")
    lim.add_argument("--max-request-pixels", type=int, default=d.max_request_pixels,
                     help="most pixels of all the images of one request (4 x 4096x4096)")
    lim.add_argument("--max-metadata-kb", type=float, default=d.max_metadata_bytes / 1024,
                     help="largest metadata (JSON) of one enrollment, KB")
    lim.add_argument("--max-concurrent", type=int, default=d.max_concurrent,
                     help="requests running the model at once; the others wait")
    lim.add_argument("--queue-timeout", type=float, default=d.queue_timeout_s,
                     help="seconds a request waits for a slot before a 503 with Retry-After")


def limits_from_args(args: argparse.Namespace) -> Limits:
    values = {"--max-request-mb": args.max_request_mb, "--max-batch": args.max_batch,
              "--max-image-pixels": args.max_image_pixels,
              "--max-request-pixels": args.max_request_pixels,
              "--max-metadata-kb": args.max_metadata_kb,
              "--max-concurrent": args.max_concurrent, "--queue-timeout": args.queue_timeout}
    for flag, value in values.items():
        if not value > 0:
            raise ConfigError(f"{flag}: expected a positive number, got {value}")
    if args.max_image_pixels > args.max_request_pixels:
        raise ConfigError("--max-image-pixels: larger than --max-request-pixels "
                          f"({args.max_image_pixels} > {args.max_request_pixels})")
    return Limits(max_request_bytes=int(args.max_request_mb * 2**20), max_batch=args.max_batch,
                  max_image_pixels=args.max_image_pixels,
                  max_request_pixels=args.max_request_pixels,
                  max_metadata_bytes=int(args.max_metadata_kb * 1024),
                  max_concurrent=args.max_concurrent, queue_timeout_s=args.queue_timeout)


def _read_key(args: argparse.Namespace) -> str | None:
    from ..serve.auth import read_key_file

    if args.read_key:
        return args.read_key
    if os.environ.get(READ_KEY_ENV):
        return os.environ[READ_KEY_ENV]
    if args.read_key_file is not None:
        return read_key_file(args.read_key_file, "--read-key-file")
    return None


def security_from_args(args: argparse.Namespace, gallery_dir: Path | None) -> dict[str, Any]:
    """``run``'s keyword arguments ``auth``, ``audit_log``, ``ssl_certfile``, ``ssl_keyfile``,
    and ``lines`` to print at startup."""
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        raise ConfigError("--ssl-certfile and --ssl-keyfile: give both or neither")
    for flag, path in (("--ssl-certfile", args.ssl_certfile), ("--ssl-keyfile", args.ssl_keyfile)):
        if path is not None and not path.is_file():
            raise ConfigError(f"{flag} {path}: no such file")
    key_dir = gallery_dir if gallery_dir is not None and gallery_dir.is_dir() else None
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    read_key = None if args.no_auth else _read_key(args)
    resolved = resolve_keys(host=args.host, no_auth=args.no_auth,
                            allow_no_auth_network=args.allow_no_auth_network, api_key=api_key,
                            api_key_file=args.api_key_file, read_key=read_key, key_dir=key_dir,
                            has_writes=gallery_dir is not None)
    audit_log = args.audit_log or (key_dir / AUDIT_FILE_NAME if key_dir is not None else None)
    lines = list(resolved.lines)
    if audit_log is not None:
        lines.append(f"audit log of enrollments and removals: {audit_log}")
    if args.ssl_certfile is None and not args.no_auth and resolved.auth.admin_key is not None:
        from ..serve.auth import is_loopback

        if not is_loopback(args.host):
            lines.append(f"warning: plain HTTP on {args.host}: keys cross the network in clear "
                         "text; give --ssl-certfile/--ssl-keyfile or put a TLS proxy in front")
    return {"auth": resolved.auth, "audit_log": audit_log, "ssl_certfile": args.ssl_certfile,
            "ssl_keyfile": args.ssl_keyfile, "lines": lines}
