"""The HTTP service: ``create_app(model, gallery=None, api_key=None, limits=None)`` -> FastAPI.

Routes (OpenAPI schema at ``/openapi.json``, interactive docs at ``/docs``, served
offline by :mod:`.docs`):

* ``GET /api/health`` (never needs the key), ``GET /api/model``;
* ``POST /api/embed``, ``/api/similarity``, ``/api/verify`` (JSON), and ``.../upload`` for images;
* ``POST /api/gallery/enroll``, ``/identify``, ``/verify`` (JSON and ``.../upload``),
  ``GET /api/gallery/identities``, ``DELETE /api/gallery/identities/{identity}``;
* ``GET /`` (compare two inputs) and ``GET /identify`` (identify against the gallery): web pages.

Errors are JSON ``{"detail": message}``: 401 missing or wrong API key, 403 a read key on a write,
404 unknown identity or no gallery, 409 a decision asked of a model without threshold, 413 over a
limit, 422 bad input (wrong modality, shape, type, undecodable image), 503 busy (``Retry-After``),
507 a write the server's disk refused (full; the gallery keeps its previous state).
Bad input never gives a 500. Who may call what: :mod:`siamkit.serve.auth`; the audit log of
writes: :mod:`siamkit.serve.audit`; limits: :mod:`siamkit.serve.limits`.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ..version import __version__
from ..errors import InputTooLargeError, NotCalibratedError, SiamkitError, WriteError
from ..gallery import UnknownIdentityError
from .audit import AuditLog
from .docs import add_docs
from .auth import Auth, auth_dependency
from .limits import BodyLimitMiddleware, ConcurrencyLimitMiddleware, Limits
from .routes_gallery import gallery_router
from .routes_model import health_router, model_router
from .state import ServiceState

STATIC = Path(__file__).parent / "static"


def create_app(model: Any, gallery: Any = None, api_key: str | None = None,
               limits: Limits | None = None,
               title: str = "siamkit", close_gallery: bool = False, auth: Auth | None = None,
               audit_log: str | Path | None = None) -> FastAPI:
    """A FastAPI app serving ``model`` (a :class:`~siamkit.SiameseNetwork`) and, optionally, a
    :class:`~siamkit.gallery.Gallery` built with it.

    Who may call it: ``auth`` (:class:`~siamkit.serve.auth.Auth`: an admin key for writes, a read
    key, open reads); or, shorter, ``api_key``: every route but health and the pages needs that
    key in the header ``X-API-Key``; neither: no key at all (``siamkit serve`` always passes an
    ``auth``: writes need a key by default there). ``audit_log``: a JSON-lines file where each
    enrollment and removal is recorded. ``close_gallery``: close (and so save the index of) the
    gallery when the server shuts down; otherwise the caller keeps ownership of it."""
    if gallery is not None and gallery.model is not model:
        from ..gallery import model_fingerprint

        if model_fingerprint(model) != gallery.fingerprint_:
            raise SiamkitError("create_app: the gallery was built with another model than the "
                               "one served")
    limits = limits or Limits()
    if auth is None:
        auth = Auth(api_key, open_reads=False) if api_key else Auth.disabled()
    elif api_key is not None:
        raise SiamkitError("create_app: give auth or api_key, not both")
    audit = AuditLog(audit_log) if audit_log is not None else None
    model.eval()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # Here, inside uvicorn's graceful shutdown: after it, uvicorn re-raises SIGTERM/SIGINT and
        # the process may end before any code placed after uvicorn.run.
        if close_gallery and gallery is not None:
            gallery.close()
        if audit is not None:
            audit.close()

    # docs_url=None: FastAPI's own /docs loads Swagger UI from a CDN; docs.py serves it locally.
    app = FastAPI(title=f"{title} service", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Siamese-network similarity, verification and identification. "
                              "Scores: higher = more similar.")
    app.state.siamkit = ServiceState(model=model, gallery=gallery, limits=limits)
    app.state.audit = audit
    # A request waits for a slot before its body is read; the body limit (added last, so
    # outermost) refuses a too-long Content-Length before it waits at all.
    app.add_middleware(ConcurrencyLimitMiddleware, limit=limits.max_concurrent,
                       wait_s=limits.queue_timeout_s)
    app.add_middleware(BodyLimitMiddleware, max_bytes=limits.max_request_bytes)
    keyed = [Depends(auth_dependency(auth))]
    app.include_router(health_router())
    app.include_router(model_router(), dependencies=keyed)
    app.include_router(gallery_router(), dependencies=keyed)
    _add_error_handlers(app)
    _add_pages(app)
    add_docs(app, title)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    def status_of(exc: SiamkitError) -> int:
        if isinstance(exc, UnknownIdentityError):
            return 404
        if isinstance(exc, NotCalibratedError):
            return 409
        if isinstance(exc, InputTooLargeError):
            return 413
        if isinstance(exc, WriteError):
            return 507  # the server's disk, not the client's input: retrying elsewhere may help
        return 422

    @app.exception_handler(SiamkitError)
    async def siamkit_error(request: Request, exc: SiamkitError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_of(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the offending input, and a NaN or an infinity in it makes the
        # error response itself unencodable (a 500). Say where and what, without the input.
        errors = [{"loc": [str(part) for part in e.get("loc", ())], "msg": _message(e),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        message = "; ".join(f"{_where(e)}: {e['msg']}" for e in errors[:3]) or "invalid request"
        if len(errors) > 3:
            message += f"; and {len(errors) - 3} more"
        return JSONResponse({"detail": message, "errors": errors}, status_code=422)


def _message(error: dict) -> str:
    if error.get("type") == "json_invalid":
        return f"not valid JSON ({(error.get('ctx') or {}).get('error', 'decode error')})"
    return str(error.get("msg", ""))


def _where(error: dict) -> str:
    loc = error["loc"]
    if error["type"] == "json_invalid":
        return f"body at character {loc[-1]}"
    parts = loc[1:] if loc and loc[0] in ("body", "query", "path") else loc
    text = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts).lstrip(".")
    return text or (loc[0] if loc else "request")


def _add_pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def compare_page() -> FileResponse:
        return FileResponse(STATIC / "compare.html")

    @app.get("/identify", include_in_schema=False)
    def identify_page() -> FileResponse:
        return FileResponse(STATIC / "identify.html")
