"""Load and reliability run of the HTTP service: many clients enrolling and identifying at once.

A tiny vector model is saved and served by ``python -m siamkit.serve`` in a subprocess on a free
loopback port, with a gallery folder. Each of ``--clients`` threads (own HTTP connection) loops
for ``--duration`` seconds: enroll a new identity with a random vector, then identify that vector
and check that the answer is the identity just enrolled. Afterwards the server is stopped and the
SQLite rows are counted: every acknowledged enrollment must be there.

Reported: requests, failures (any non-200 or transport error), wrong identifications, acknowledged
enrollments vs rows found (``lost``), throughput and latency percentiles per endpoint. There is no
peer to compare with here: the figures that matter are the zeros. Results go to
benchmarks/results/serve_load.json.

    PYTHONPATH=src python benchmarks/serve_load.py                  # 32 clients, 30 s
    PYTHONPATH=src python benchmarks/serve_load.py --quick          # 8 clients, 3 s
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "serve_load.json"
INPUT_DIM = 16


def save_tiny_model(folder: Path) -> Path:
    import torch

    import siamkit as sk
    from siamkit.adapters import VectorAdapter

    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("mlp", input_dim=INPUT_DIM, embedding_dim=16, hidden_dims=[32])
    model = sk.SiameseNetwork(enc, adapter=VectorAdapter(INPUT_DIM), threshold=-0.05)
    return model.save(folder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model_dir: Path, gallery_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "siamkit.serve", "serve", str(model_dir),
           "--gallery", str(gallery_dir),
           "--port", str(port), "--log-level", "warning"]
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
    raise RuntimeError("server did not start in 60 s")


def _client(n: int, url: str, stop_at: float, out: dict) -> None:
    rng = np.random.default_rng(1000 + n)
    lat = {"enroll": [], "identify": []}
    acked, failures, wrong = [], [], 0
    with httpx.Client(base_url=url, timeout=60) as http:
        i = 0
        while time.monotonic() < stop_at:
            name, vec = f"c{n}-{i}", rng.standard_normal(INPUT_DIM).round(6).tolist()
            i += 1
            steps = (("enroll", {"identity": name, "vectors": [vec]}),
                     ("identify", {"vectors": [vec], "k": 1}))
            for endpoint, body in steps:
                t = time.perf_counter()
                try:
                    r = http.post(f"/api/gallery/{endpoint}", json=body)
                except httpx.HTTPError as exc:
                    failures.append(f"{endpoint}: {type(exc).__name__}")
                    break
                lat[endpoint].append(time.perf_counter() - t)
                if r.status_code != 200:
                    failures.append(f"{endpoint}: {r.status_code} {r.text[:200]}")
                    break
                if endpoint == "enroll":
                    acked.append(name)
                elif r.json()["results"][0]["identity"] != name:
                    wrong += 1
    out[n] = {"latency": lat, "acked": acked, "failures": failures, "wrong": wrong}


def run_load(clients: int = 32, duration: float = 30.0, workdir: Path | None = None) -> dict:
    """Run the load; returns the summary (see the module docstring)."""
    tmp = Path(workdir or tempfile.mkdtemp(prefix="siamkit-load-"))
    model_dir = save_tiny_model(tmp / "model")
    gallery_dir, log = tmp / "gallery", tmp / "server.log"
    port = free_port()
    proc = start_server(model_dir, gallery_dir, port, log)
    out: dict = {}
    try:
        stop_at = time.monotonic() + duration
        threads = [threading.Thread(target=_client,
                                    args=(n, f"http://127.0.0.1:{port}", stop_at, out))
                   for n in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    with sqlite3.connect(gallery_dir / "gallery.sqlite") as db:
        query = "SELECT i.name FROM refs r JOIN identities i ON i.id = r.identity_id"
        rows = {name for (name,) in db.execute(query)}
        n_rows = db.execute("SELECT COUNT(*) FROM refs").fetchone()[0]
    index_meta = gallery_dir / "index.json"
    index_count = json.loads(index_meta.read_text())["count"] if index_meta.is_file() else None
    acked = [name for c in out.values() for name in c["acked"]]
    latency = {}
    for endpoint in ("enroll", "identify"):
        values = np.array([v for c in out.values() for v in c["latency"][endpoint]]) * 1000
        latency[endpoint] = {"count": int(values.size)}
        for q in (50, 90, 99):
            latency[endpoint][f"p{q}_ms"] = (round(float(np.percentile(values, q)), 2)
                                             if values.size else None)
    requests = sum(v["count"] for v in latency.values())
    return {
        "clients": clients, "duration_s": round(elapsed, 2), "requests": requests,
        "throughput_rps": round(requests / elapsed, 1),
        "failures": sum(len(c["failures"]) for c in out.values()),
        "failure_examples": [f for c in out.values() for f in c["failures"]][:5],
        "wrong_identifications": sum(c["wrong"] for c in out.values()),
        "enrollments_acknowledged": len(acked), "rows_in_sqlite": n_rows,
        "lost": len(set(acked) - rows), "latency": latency,
        "index_saved_at_shutdown": index_count == n_rows,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--quick", action="store_true", help="8 clients for 3 s")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    clients, duration = (8, 3.0) if args.quick else (args.clients, args.duration)
    result = {"benchmark": "serve_load", "machine": platform.platform(), "cpus": os.cpu_count(),
              **run_load(clients, duration)}
    print(json.dumps(result, indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
