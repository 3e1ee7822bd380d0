"""Start the service with uvicorn: one process, so one model and one gallery own the state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .app import create_app
from .auth import Auth
from .limits import Limits


def run(model: Any, gallery: Any = None, host: str = "127.0.0.1", port: int = 8000,
        api_key: str | None = None, limits: Limits | None = None, log_level: str = "info",
        auth: Auth | None = None, audit_log: str | Path | None = None,
        ssl_certfile: str | Path | None = None, ssl_keyfile: str | Path | None = None) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM), then save the gallery's index and close it.

    ``auth`` / ``api_key`` and ``audit_log``: see :func:`~siamkit.serve.create_app`.
    ``ssl_certfile`` and ``ssl_keyfile`` (PEM): serve HTTPS (uvicorn's TLS).

    Enrollments are durable as they are acknowledged (SQLite commits them first); saving the index
    at exit only spares the next start a rebuild.
    """
    import uvicorn

    app = create_app(model, gallery, api_key=api_key, limits=limits, close_gallery=True,
                     auth=auth, audit_log=audit_log)
    tls = {} if ssl_certfile is None else {"ssl_certfile": str(ssl_certfile),
                                           "ssl_keyfile": None if ssl_keyfile is None
                                           else str(ssl_keyfile)}
    # workers=1: several processes would each hold their own copy of the gallery's index.
    uvicorn.run(app, host=host, port=port, log_level=log_level, workers=1, **tls)
