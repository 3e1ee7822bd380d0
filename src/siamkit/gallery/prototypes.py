"""Identification by identity prototypes: each identity scored by the mean of its references.

Snell, Swersky & Zemel (2017), "Prototypical Networks for Few-shot Learning": a class is
represented by the mean of its support embeddings, and a query goes to the best-scoring mean.
For a gallery this is ``scoring = "prototype"`` (``Gallery(..., scoring="prototype")``, or
``siamkit gallery ... --scoring prototype``), beside the default ``"nearest"`` (the best single
reference). It is steadier when an identity has several noisy references, and it is the rule a
model trained with :class:`siamkit.losses.PrototypicalLoss` was trained for. For a cosine model
the references are normalised before averaging and the mean renormalised, so the prototype is a
unit vector like every reference. A prototype is no stored reference: its ``reference_id`` in the
answers is -1.

The prototypes are computed exactly from the stored embeddings at each call (one pass over the
references, then a ``[B, identities]`` score matrix), not through the search index; a gallery that
keeps no vectors (``vectors="none"``) gives them from its index, decoded where it compresses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .results import Identifications

SCORINGS = ("nearest", "prototype")


def prototypes(gallery: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(identity names [I], prototypes [I, D])`` of the gallery's identities."""
    members, dim = gallery._members, gallery.dim_
    cosine = gallery.model.distance_fn.index_normalized
    sums: dict[int, np.ndarray] = {}
    counts: dict[int, int] = {}
    for ids, emb in gallery._iter_vectors():
        emb = emb.astype(np.float64)
        if cosine:
            emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        rows = members.groups(ids)
        for row in np.unique(rows):
            mine = rows == row
            sums[int(row)] = sums.get(int(row), np.zeros(dim)) + emb[mine].sum(0)
            counts[int(row)] = counts.get(int(row), 0) + int(mine.sum())
    order = sorted(sums)
    means = np.array([sums[r] / counts[r] for r in order]).reshape(len(order), dim)
    if cosine:
        means = means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    names = np.array([members.name_of[r] for r in order], dtype=object)
    return names, means.astype(np.float32)


def identify(gallery: Any, emb: np.ndarray, k: int, threshold: float | None) -> Identifications:
    """The ``k`` best identities per probe, each scored against its prototype."""
    names, means = prototypes(gallery)
    width = min(k, len(names))
    model = gallery.model
    with torch.no_grad():
        scores = model.pairwise_scores(torch.from_numpy(emb).to(model.device),
                                       torch.from_numpy(means).to(model.device)).float().cpu()
    scores = scores.numpy().reshape(len(emb), len(names))
    order = np.argsort(-scores, axis=1, kind="stable")[:, :width]
    refs = np.full(order.shape, -1, dtype=np.int64)
    return Identifications(names[order], np.take_along_axis(scores, order, 1).astype(np.float64),
                           refs, threshold)
