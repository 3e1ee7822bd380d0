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
}
# Which loss input kinds each batch kind can feed.
ACCEPTS = {
    "pairs": ("pair_distances", "pair_logits", "scored_pairs"),
    "scored_pairs": ("scored_pairs",),
    "triplets": ("triplets",),
    "labelled": ("labelled",),
    "duplicates": ("duplicates",),
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
}
