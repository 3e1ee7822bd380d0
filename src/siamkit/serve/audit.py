"""The audit log: one JSON line per change of the gallery over HTTP (who, what, when, from where).

``{"time": "2026-...Z", "action": "enroll", "identity": "ann", "reference_ids": [4, 5],
"key": "admin:1a2b3c4d", "client": "10.0.0.7:52114"}``; a removal has ``"action": "remove"`` and
``"removed": n``. ``key`` is the caller's key id (:func:`siamkit.serve.auth.key_id`), never the
key. A line is written after the gallery has committed the change, and flushed and fsynced before
the request is answered, so every acknowledged change has its line.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import Request


class AuditLog:
    """Appends JSON lines to ``path`` (created, with its folder, if new)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")

    def record(self, action: str, request: Request, **fields: Any) -> None:
        client = request.client
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        entry = {"time": now.replace("+00:00", "Z"), "action": action, **fields,
                 "key": getattr(request.state, "caller", "anonymous"),
                 "client": f"{client.host}:{client.port}" if client else None}
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            self._file.close()


def record(request: Request, action: str, **fields: Any) -> None:
    """Log ``action`` to the app's audit log, if it has one."""
    log = getattr(request.app.state, "audit", None)
    if log is not None:
        log.record(action, request, **fields)
