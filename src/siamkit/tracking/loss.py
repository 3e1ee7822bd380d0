"""The training objective of SiamFC: a balanced logistic loss over every cell of the score map.

Bertinetto et al. (2016), section 2.2: each cell ``u`` of the score map of an exemplar-search pair
has a label ``y[u]`` in {+1, -1} and the loss is the mean over cells of
``log(1 + exp(-y[u] v[u]))``.
A cell is positive (label 1 here, siamkit's "same" convention) when it lies within ``radius`` pixels
of the target's true position, negative otherwise; positives are few, so (as in their code) the two
classes are weighted to contribute equally: each positive ``0.5 / n_pos``, each negative
``0.5 / n_neg``, per map.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def score_map_labels(score_size: int, stride: int, offsets: Tensor, radius: float) -> Tensor:
    """Labels ``float [B, 1, n, n]`` (1 = the target is here) for search crops whose target sits at
    ``offsets [B, 2]`` (x, y) pixels from the crop centre; cell ``k`` is at
    ``(k - (n-1)/2) * stride``."""
    cells = (torch.arange(score_size, dtype=torch.float32) - (score_size - 1) / 2) * stride
    dx = cells.view(1, 1, -1) - offsets[:, 0].view(-1, 1, 1).float()
    dy = cells.view(1, -1, 1) - offsets[:, 1].view(-1, 1, 1).float()
    return (torch.hypot(dx, dy) <= radius).float().unsqueeze(1)


def balanced_weights(labels: Tensor) -> Tensor:
    """Per-cell weights: positives and negatives each sum to 0.5 per map (a class absent from a map
    leaves the other summing to 0.5)."""
    dims = tuple(range(1, labels.dim()))
    n_pos = labels.sum(dim=dims, keepdim=True)
    n_neg = (1 - labels).sum(dim=dims, keepdim=True)
    return labels * 0.5 / n_pos.clamp_min(1) + (1 - labels) * 0.5 / n_neg.clamp_min(1)


def logistic_score_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Balanced logistic loss of score-map ``logits`` against ``labels`` (1 = target), the mean
    over the batch of each map's weighted sum."""
    weights = balanced_weights(labels)
    per_cell = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    return (weights * per_cell).sum(dim=tuple(range(1, logits.dim()))).mean()
