"""The worst mistakes at the threshold: the different pairs scored highest (false accepts) and the
same pairs scored lowest (false rejects), with what was compared, for the report to show.

Error analysis by looking at the worst errors is the everyday first step after a figure (as
face-verification and duplicate-question write-ups show their hardest false matches). Each pair is
kept with its score and its two inputs in a JSON-ready form: texts as they are; images (uint8 or
[0, 1] tensors ``[C, H, W]``) as small PNG ``data:`` URLs, at most ``THUMB`` pixels a side so that
metrics.json stays small; other inputs (vectors) by pair index only. Labels: 1 = same.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import torch

THUMB = 64


def image_data_url(x: torch.Tensor) -> str:
    """A ``[C, H, W]`` image tensor (C = 1 or 3) as a PNG data URL, shrunk to THUMB pixels a side."""
    from PIL import Image

    arr = x.detach().cpu()
    arr = (arr.float().clamp(0, 1) * 255).round() if arr.dtype != torch.uint8 else arr
    arr = arr.to(torch.uint8).numpy()
    image = Image.fromarray(arr[0] if arr.shape[0] == 1 else np.transpose(arr, (1, 2, 0)))
    image.thumbnail((THUMB, THUMB))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _shown(x: Any, i: int) -> dict[str, Any]:
    if isinstance(x, list):
        return {"text": str(x[i])}
    if isinstance(x, torch.Tensor) and x.dim() == 4 and x.shape[1] in (1, 3):
        return {"image": image_data_url(x[i])}
    return {}


def worst_pairs(x1: Any, x2: Any, scores: Any, labels: Any, threshold: float | None,
                n: int = 5) -> dict[str, list[dict[str, Any]]] | None:
    """``{"false_accepts": [...], "false_rejects": [...]}``, each at most ``n`` pairs, worst first:
    ``{"pair": index, "score", "a": {...}, "b": {...}}``; None without a threshold."""
    if threshold is None:
        return None
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels) == 1
    fa = np.flatnonzero(~y & (s >= threshold))
    fr = np.flatnonzero(y & (s < threshold))
    # worst first; ties by pair index, so that the choice is deterministic
    fa = fa[np.lexsort((fa, -s[fa]))][:n]
    fr = fr[np.lexsort((fr, s[fr]))][:n]

    def rows(index: np.ndarray) -> list[dict[str, Any]]:
        return [{"pair": int(i), "score": float(s[i]), "a": _shown(x1, int(i)),
                 "b": _shown(x2, int(i))} for i in index]
    return {"false_accepts": rows(fa), "false_rejects": rows(fr)}
