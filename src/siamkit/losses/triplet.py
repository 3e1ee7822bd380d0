"""Triplet margin loss on explicit (anchor, positive, negative) triplets.

Weinberger & Saul, "Distance Metric Learning for Large Margin Nearest Neighbor Classification"
(JMLR 2009) and Schroff, Kalenichenko & Philbin, "FaceNet: A Unified Embedding for Face Recognition
and Clustering" (CVPR 2015): an anchor should be closer to a positive (same class) than to a
negative (other class) by at least a margin,

    L = mean_i max(0, d(a_i, p_i) - d(a_i, n_i) + margin).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..distances import Distance
from ..errors import ConfigError
from ..registry import LOSSES
from ._base import SiamkitLoss, as_distance, check_same_shape, resolve_distance


@LOSSES.register("triplet", input_kind="triplets", inputs="anchor, positive, negative [B, D]",
                 paper="Weinberger & Saul 2009; Schroff et al. 2015")
class TripletLoss(SiamkitLoss):
    """Triplet loss ``mean(max(0, d(a, p) - d(a, n) + margin))``.

    Inputs: ``anchor``, ``positive``, ``negative`` float ``[B, D]`` embeddings; row i of
    ``positive`` is the same class as row i of ``anchor`` (label 1 = same), row i of ``negative``
    another class. ``distance`` is a name for :func:`siamkit.distances.get_distance`
    ("euclidean", "squared_euclidean", "cosine", "manhattan"; a similarity such as
    "cosine_similarity" is negated so that the margin still means "closer by"). ``soft=True``
    replaces the hinge by ``softplus`` (the soft margin of Hermans et al. 2017).
    ``input_kind = "triplets"``. Papers: Weinberger & Saul (2009); Schroff et al. (2015).
    """

    input_kind = "triplets"

    def __init__(
        self, margin: float = 1.0, distance: str | Distance = "euclidean", soft: bool = False
    ) -> None:
        super().__init__()
        if margin < 0:
            raise ConfigError(f"margin: must be >= 0, got {margin}")
        self.margin = float(margin)
        self.distance = resolve_distance(distance)
        self.soft = bool(soft)

    def hinge(self, d_ap: Tensor, d_an: Tensor) -> Tensor:
        """Per-triplet loss from anchor-positive and anchor-negative distances."""
        violation = d_ap - d_an + self.margin
        return torch.nn.functional.softplus(violation) if self.soft else violation.clamp_min(0)

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        check_same_shape(anchor, positive, ("anchor", "positive"))
        check_same_shape(anchor, negative, ("anchor", "negative"))
        d_ap = as_distance(self.distance, self.distance.paired(anchor, positive))
        d_an = as_distance(self.distance, self.distance.paired(anchor, negative))
        return self.hinge(d_ap, d_an).mean()

    def extra_repr(self) -> str:
        return f"margin={self.margin}, distance={self.distance.name!r}, soft={self.soft}"
