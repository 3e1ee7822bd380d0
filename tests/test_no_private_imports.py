"""No module imports a private name (a ``_name`` module or attribute) from another package.

A package is a folder under ``src/siamkit``; the top-level modules form the root package. Checked
with ``ast`` over every module under ``src/siamkit``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _files() -> list[Path]:
    return sorted((SRC / "siamkit").rglob("*.py"))


def _package(parts: list[str]) -> str:
    """``siamkit.x.y`` -> ``x`` (a package), ``siamkit.y`` -> ``""`` (the root package)."""
    return parts[1] if len(parts) > 2 else ""


def private_imports(path: Path, src: Path = SRC) -> list[str]:
    parts = list(path.relative_to(src).with_suffix("").parts)
    is_init = parts[-1] == "__init__"
    module = parts[:-1] if is_init else parts
    here = module[1] if is_init and len(module) > 1 else _package(module)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = (module if is_init else module[:-1])[: len(module) - node.level + is_init]
            target = base + (node.module.split(".") if node.module else [])
        else:
            target = (node.module or "").split(".")
        if target[0] != "siamkit":
            continue
        for alias in node.names:
            full = target + [alias.name]
            if _package(full) != here and any(
                p.startswith("_") and not p.startswith("__") for p in full[1:]
            ):
                found.append(f"{path.relative_to(src)}:{node.lineno}: {'.'.join(full)}")
    return found


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(SRC / "siamkit")))
def test_no_private_import_from_another_package(path):
    assert private_imports(path) == []


def test_the_check_sees_a_private_import(tmp_path):
    # The import the losses used to make is caught; one within a package is not.
    folder = tmp_path / "siamkit" / "losses"
    folder.mkdir(parents=True)
    path = folder / "batch_hard.py"
    path.write_text("from ..miners._select import batch_hard\nfrom ._base import SiamkitLoss\n")
    assert private_imports(path, tmp_path) == [
        "siamkit/losses/batch_hard.py:1: siamkit.miners._select.batch_hard"
    ]
