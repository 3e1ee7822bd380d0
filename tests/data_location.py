"""Where the test suite finds the real data (imported by tests/conftest.py; a plain module so that
its test can import it too)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def find_shared_data(env: dict[str, str] | None = None, root: Path = ROOT) -> Path | None:
    """``$SIAMKIT_DATA`` if set (a folder or not: the user said so), else the first
    ``shared/data`` folder beside the checkout or beside its parent; None where there is none."""
    env = os.environ if env is None else env
    if env.get("SIAMKIT_DATA"):
        return Path(env["SIAMKIT_DATA"]).expanduser()
    for parent in (root.parent, root.parent.parent):
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None
