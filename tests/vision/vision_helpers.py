"""The vision tests need timm and torchvision, which live in their own environment
(``make test-vision``: .venv-vision, constraints-vision.txt). Without them each module skips and
says why."""

from __future__ import annotations

import pytest

try:
    import timm
    import torchvision
except Exception as exc:  # ImportError, or torchvision's operator error beside another torch
    pytest.skip(f"needs timm and torchvision (run `make test-vision`): {type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:120]}", allow_module_level=True)

__all__ = ["timm", "torchvision"]
