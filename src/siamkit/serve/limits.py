"""Limits: what keeps one request, or many at once, from exhausting the service.

The body limit is checked twice: against ``Content-Length`` before anything is read, and while the
body streams in (a chunked request has no length), so an oversized upload is refused with 413
without ever being held in memory whole.

Images are bounded by their header before any pixel is decoded: per image (``max_image_pixels``)
and per request (``max_request_pixels``, the sum); the service then decodes and embeds them a
chunk of at most ``max_image_pixels`` at a time (:mod:`siamkit.serve.inputs`), so a request never
holds more than one chunk of decoded pixels. Requests that run the model (every ``POST`` under
``/api/``) take one of ``max_concurrent`` slots before their body is read; one that waits longer
than ``queue_timeout_s`` for a slot is answered 503 with ``Retry-After``. With the defaults, the
memory the requests can hold at once is about ``max_concurrent`` x (body + its parsed form) plus
one decoded chunk: see the README's "What the service promises" and benchmarks/serve_load.py.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from typing import Any, Callable

from fastapi import HTTPException


@dataclass(frozen=True)
class Limits:
    """Per-request limits. ``max_request_bytes`` bounds the body, ``max_batch`` the inputs per
    request, ``max_image_pixels`` a decoded image, ``max_request_pixels`` the images of one request
    together, ``max_text_chars`` one text, ``max_k`` the identities ranked,
    ``max_metadata_bytes`` the JSON of an enrollment's metadata; ``max_concurrent`` requests run
    the model at once, the others wait up to ``queue_timeout_s`` seconds for a slot, then get 503."""

    max_request_bytes: int = 16 * 1024 * 1024
    max_batch: int = 64
    max_image_pixels: int = 4096 * 4096
    max_request_pixels: int = 4 * 4096 * 4096
    max_text_chars: int = 10_000
    max_k: int = 100
    max_metadata_bytes: int = 16 * 1024
    max_concurrent: int = 4
    queue_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value > 0:
                raise ValueError(f"Limits.{name}: expected a positive number, got {value!r}")

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


class _TooLarge(HTTPException):
    """Raised while the body streams in; FastAPI turns it into the 413 answer (and so do we, below,
    if it reaches us instead)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit))


def _too_large(limit: int) -> str:
    return f"request body larger than the limit of {limit} bytes"


class BodyLimitMiddleware:
    """Pure ASGI middleware answering 413 to request bodies over ``max_bytes``."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, int(max_bytes)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send, 413 if length.isdigit() else 400)
            return
        seen, started = 0, False

        async def limited_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, 413)

    async def _refuse(self, send: Callable, status: int) -> None:
        detail = _too_large(self.max_bytes) if status == 413 else "Content-Length is not a number"
        body = json.dumps({"detail": detail}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class ConcurrencyLimitMiddleware:
    """Pure ASGI middleware: at most ``limit`` model-running requests (``POST /api/...``) at once.

    A request waits for a slot before its body is read, so waiting requests hold no memory but
    their socket; one that waits more than ``wait_s`` seconds is answered 503 with ``Retry-After``.
    """

    def __init__(self, app: Any, limit: int, wait_s: float) -> None:
        self.app, self.limit, self.wait_s = app, int(limit), float(wait_s)
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if not (scope["type"] == "http" and scope.get("method") == "POST"
                and scope.get("path", "").startswith("/api/")):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.wait_s)
        except asyncio.TimeoutError:
            await _refuse_busy(send, self.limit, self.wait_s)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()


async def _refuse_busy(send: Callable, limit: int, wait_s: float) -> None:
    detail = (f"busy: {limit} requests are running the model (the limit, --max-concurrent) and "
              f"no slot freed within {wait_s:g} s; retry after the Retry-After seconds")
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
