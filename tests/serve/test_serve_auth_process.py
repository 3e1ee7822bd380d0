"""Issue 16, item 1, through the real command: ``siamkit serve`` makes and prints an admin key once,
keeps it (0600) for the next start, audits the writes, and serves HTTPS with a certificate made
here by the openssl command (skipped, saying so, where there is none)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import time

import httpx
import pytest
from serve_helpers import SRC, free_port, random_vectors, start_server, vector_model

pytestmark = pytest.mark.slow


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def test_serve_makes_a_key_once_keeps_it_across_restarts_and_audits(tmp_path):
    vector_model(threshold=-0.5).save(tmp_path / "model")
    gallery, log = tmp_path / "gallery", tmp_path / "server.log"
    port = free_port()
    proc = start_server(tmp_path / "model", gallery, port, log)
    url = f"http://127.0.0.1:{port}"
    v = random_vectors(1).tolist()
    try:
        found = re.search(r"admin API key \(new, kept in (\S+) \(mode 0600\).*\): (\S+)",
                          log.read_text())
        assert found, log.read_text()
        key = found.group(2)
        assert stat.S_IMODE(os.stat(found.group(1)).st_mode) == 0o600
        body = {"identity": "ann", "vectors": v}
        assert httpx.post(url + "/api/gallery/enroll", json=body).status_code == 401
        assert httpx.post(url + "/api/gallery/enroll", json=body,
                          headers={"X-API-Key": key}).status_code == 200
        # loopback, no --read-key: reads are open (the web pages work without a key)
        r = httpx.post(url + "/api/gallery/identify", json={"vectors": v})
        assert r.status_code == 200 and r.json()["results"][0]["identity"] == "ann"
    finally:
        stop(proc)
    size = log.stat().st_size
    port = free_port()
    proc = start_server(tmp_path / "model", gallery, port, log)
    try:
        again = log.read_text()[size:]
        assert key not in again and "admin API key from" in again
        r = httpx.delete(f"http://127.0.0.1:{port}/api/gallery/identities/ann",
                         headers={"X-API-Key": key})
        assert r.status_code == 200 and r.json()["removed"] == 1
    finally:
        stop(proc)
    lines = [json.loads(line) for line in (gallery / "audit.jsonl").read_text().splitlines()]
    assert [(e["action"], e["identity"]) for e in lines] == [("enroll", "ann"), ("remove", "ann")]
    assert all(e["key"].startswith("admin:") and key not in e["key"] for e in lines)


def test_https_with_a_self_signed_certificate(tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate")
    cert, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(keyfile), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    vector_model(threshold=-0.5).save(tmp_path / "model")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1",
           "SIAMKIT_API_KEY": "tls-admin-key"}
    log = open(tmp_path / "server.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "siamkit.serve", "serve",
                             str(tmp_path / "model"), "--gallery", str(tmp_path / "g"),
                             "--port", str(port), "--log-level", "warning",
                             "--ssl-certfile", str(cert), "--ssl-keyfile", str(keyfile)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}"
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(url + "/api/health", verify=trust, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.3)
        r = httpx.post(url + "/api/gallery/enroll", verify=trust,
                       headers={"X-API-Key": "tls-admin-key"},
                       json={"identity": "ann", "vectors": random_vectors(1).tolist()})
        assert r.status_code == 200
        with pytest.raises(httpx.HTTPError):  # plain HTTP is not served on a TLS port
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).raise_for_status()
        with pytest.raises(httpx.ConnectError):  # and the certificate is really checked
            httpx.get(url + "/api/health", timeout=5)
    finally:
        stop(proc)
