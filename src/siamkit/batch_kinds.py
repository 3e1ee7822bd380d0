"""The batch kinds loaders yield and the loss input kinds each can feed: one table for all.

The trainer checks a loader against a loss with it, and a config is checked with it before anything
heavy (torch) is imported, so this module imports nothing. Labels: 1 = same, 0 = different.
"""

from __future__ import annotations

BATCH_FORMATS = {
    "pairs": "(x1, x2, y) with y 1 = same, 0 = different",
    "scored_pairs": "(x1, x2, target) with a float similarity target",
    "triplets": "(anchor, positive, negative)",
    "labelled": "(x, labels) with int class ids",
    "duplicates": "(x1, x2), row i of x1 and x2 a duplicate pair",
    "episodes": "(x, labels, query): N-way K-shot episodes, query True on the query rows",
}
# Which loss input kinds each batch kind can feed.
ACCEPTS = {
    "pairs": ("pair_distances", "pair_logits", "scored_pairs"),
    "scored_pairs": ("scored_pairs",),
    "triplets": ("triplets",),
    "labelled": ("labelled",),
    "duplicates": ("duplicates",),
    "episodes": ("episodes",),
}
# The batch kind assumed for a loss's input kind when none is given (a loader with no
# ``batch_kind`` attribute, or a config with ``[batches] kind = "auto"``).
DEFAULT_BATCH_KIND = {
    "pair_distances": "pairs",
    "pair_logits": "pairs",
    "scored_pairs": "scored_pairs",
    "triplets": "triplets",
    "labelled": "labelled",
    "duplicates": "duplicates",
    "episodes": "episodes",
}
# What the data must be for each batch kind: samples with class labels, or explicit pairs.
DATA_NEEDED = {
    "pairs": ("labelled", "pairs"), "scored_pairs": ("pairs",), "triplets": ("labelled",),
    "labelled": ("labelled",), "duplicates": ("pairs",), "episodes": ("labelled",),
}


def batch_kinds_for(input_kind: str) -> list[str]:
    """The batch kinds that can feed a loss of ``input_kind``."""
    return [b for b, kinds in ACCEPTS.items() if input_kind in kinds]


def losses_for(batch_kind: str | None = None, data: str | None = None) -> list[str]:
    """Names of the registered losses that train on ``batch_kind`` batches, or on ``data``
    (``"labelled"`` or ``"pairs"``) through some batch kind; read from
    :data:`siamkit.registry.LOSSES` (imported here: this module stays free of torch at import)."""
    from .registry import LOSSES

    kinds = [batch_kind] if batch_kind else [b for b, need in DATA_NEEDED.items() if data in need]
    accepted = {k for b in kinds for k in ACCEPTS[b]}
    return LOSSES.names(input_kind=tuple(accepted))
