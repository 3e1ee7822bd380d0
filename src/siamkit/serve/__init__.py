"""HTTP service for a trained model and its gallery (FastAPI app, served by uvicorn)."""

from .app import create_app
from .audit import AuditLog
from .auth import API_KEY_HEADER, Auth, key_id, resolve_keys
from .limits import Limits
from .runner import run

__all__ = ["API_KEY_HEADER", "AuditLog", "Auth", "Limits", "create_app", "key_id",
           "resolve_keys", "run"]
