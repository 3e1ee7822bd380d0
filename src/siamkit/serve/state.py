"""What the service's routes share: the model, its lock, the gallery and the limits.

The model runs under one lock: PyTorch modules are not documented as safe for concurrent calls,
and ``encode`` switches the module to eval mode, so two requests never run it at once. The gallery
serialises its own writes (and its index) with its lock; SQLite commits each write before the
request is answered.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, ContextManager

import numpy as np
import torch
from fastapi import HTTPException

from ..inputs import encode
from .inputs import Images, embed_images
from .limits import Limits


@dataclass
class ServiceState:
    model: Any
    gallery: Any = None
    limits: Limits = field(default_factory=Limits)
    model_lock: threading.Lock = field(default_factory=threading.Lock)

    def embed(self, raw: list[Any], what: str = "inputs") -> np.ndarray:
        """Embeddings ``[n, D]`` of checked raw inputs (DataError -> 422 by the app's handler).
        Images (:class:`~siamkit.serve.inputs.Images`) are decoded and embedded a chunk at a
        time, each chunk decoded under the model lock too, so that the decoded pixels the whole
        service holds at once are one chunk's."""
        if isinstance(raw, Images):
            return embed_images(raw, lambda chunk: encode(self.model, chunk, what),
                                self.limits.max_image_pixels, self.model_lock)
        with self.model_lock:
            return encode(self.model, raw, what)

    def pair_scores(self, u: np.ndarray, v: np.ndarray) -> list[float]:
        with self.model_lock, torch.no_grad():
            device = self.model.device
            scores = self.model.score_embeddings(torch.from_numpy(u).to(device),
                                                 torch.from_numpy(v).to(device))
        return scores.float().cpu().tolist()

    def model_for_gallery(self) -> ContextManager:
        """Hold the model lock around gallery calls that run the model (head rescoring, verify)."""
        uses_model = self.gallery is not None and self.gallery.rescores
        return self.model_lock if uses_model else nullcontext()

    def require_gallery(self) -> Any:
        if self.gallery is None:
            raise HTTPException(404, "this server has no gallery: start it with --gallery DIR")
        return self.gallery
