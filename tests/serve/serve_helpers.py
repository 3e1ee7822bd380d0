"""Helpers of the serve tests: the gallery tests' tiny models, PNGs, a server in a subprocess."""

from __future__ import annotations

import importlib.util
import io
import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx
import numpy as np

_spec = importlib.util.spec_from_file_location(
    "gallery_helpers", Path(__file__).parents[1] / "gallery" / "gallery_helpers.py")
gallery_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gallery_helpers)
vector_model, image_model, text_model = (gallery_helpers.vector_model, gallery_helpers.image_model,
                                         gallery_helpers.text_model)
random_vectors, DIM_IN = gallery_helpers.random_vectors, gallery_helpers.DIM_IN
SRC = Path(__file__).parents[2] / "src"

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette 1.x warns about httpx2 on importing its client
    from fastapi.testclient import TestClient


def make_client(model, with_gallery: bool = True, **kw) -> TestClient:
    """A test client of ``create_app(model, Gallery(model) or None, **kw)``."""
    from siamkit.gallery import Gallery
    from siamkit.serve import create_app

    gallery = Gallery(model) if with_gallery else None
    return TestClient(create_app(model, gallery, **kw))


def png_bytes(seed: int = 0, size: tuple[int, int] = (10, 12), mode: str = "L") -> bytes:
    from PIL import Image

    rng = np.random.default_rng(seed)
    shape = size if mode == "L" else (*size, 3)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode).save(buf, format="PNG")
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model_dir: Path, gallery_dir: Path, port: int, log: Path,
                 *extra: str) -> subprocess.Popen:
    """``python -m siamkit.serve serve MODEL --gallery DIR`` on loopback; returns once healthy."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "siamkit.serve", "serve", str(model_dir),
           "--gallery", str(gallery_dir),
           "--port", str(port), "--log-level", "warning", *extra]
    proc = subprocess.Popen(cmd, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")
