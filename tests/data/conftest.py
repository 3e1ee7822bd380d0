"""Fixtures for the data tests: real shared data (skipped where absent), a local HTTP server."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest


@pytest.fixture
def real_data(shared_data: Path) -> Path:
    """The real-data folder (mnist/, paraphrase/) that tests/conftest.py finds; skip where absent."""
    return shared_data


def _need(root: Path, relative: str) -> Path:
    path = root / relative
    if not path.exists():
        pytest.skip(f"real data not available: {path} is missing")
    return path


@pytest.fixture
def real_mnist(real_data: Path) -> Path:
    _need(real_data, "mnist/train-images-idx3-ubyte.gz")
    return real_data


@pytest.fixture
def real_kjv(real_data: Path) -> Path:
    _need(real_data, "paraphrase/kjv_web_pairs.tsv")
    return real_data


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; ``/short/<name>`` announces more bytes than it sends (a cut transfer)."""

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/short/"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def http_server(tmp_path: Path):
    """``(base_url, served_folder, requests)``: a local HTTP server in a thread."""
    served = tmp_path / "served"
    served.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(served)))
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", served, server.requests
    finally:
        server.shutdown()
        server.server_close()
