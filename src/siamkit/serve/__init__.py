"""HTTP service for a trained model and its gallery (FastAPI app, served by uvicorn)."""

from .app import create_app
from .limits import API_KEY_HEADER, Limits
from .runner import run

__all__ = ["API_KEY_HEADER", "Limits", "create_app", "run"]
