"""Limits and the API key: what keeps one request from exhausting the service, and who may call it.

The body limit is checked twice: against ``Content-Length`` before anything is read, and while the
body streams in (a chunked request has no length), so an oversized upload is refused with 413
without ever being held in memory whole.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any, Callable

from fastapi import HTTPException, Security
from fastapi.security import APIKeyHeader

API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class Limits:
    """Per-request limits. ``max_request_bytes`` bounds the body, ``max_batch`` the inputs per
    request, ``max_image_pixels`` a decoded image, ``max_text_chars`` one text, ``max_k`` the
    identities ranked."""

    max_request_bytes: int = 16 * 1024 * 1024
    max_batch: int = 64
    max_image_pixels: int = 4096 * 4096
    max_text_chars: int = 10_000
    max_k: int = 100

    def to_dict(self) -> dict[str, int]:
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


def api_key_dependency(api_key: str | None) -> Callable:
    """A FastAPI dependency: 401 unless the request's X-API-Key header equals ``api_key``."""
    header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                          description="Required when the server was started with an API key.")

    def check(given: str | None = Security(header)) -> None:
        if api_key is None:
            return
        if given is None or not secrets.compare_digest(given.encode(), api_key.encode()):
            raise HTTPException(401,
                                f"missing or wrong API key: send it in the {API_KEY_HEADER} header",
                                headers={"WWW-Authenticate": "ApiKey"})

    return check
