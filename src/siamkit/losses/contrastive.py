"""Contrastive loss on paired distances (Hadsell, Chopra & LeCun, 2006).

"Dimensionality Reduction by Learning an Invariant Mapping", CVPR 2006. The paper writes Y = 0 for
similar pairs; siamkit keeps its own convention, **y = 1 = same**, so the loss reads

    L = y * d^2 / 2 + (1 - y) * max(0, m - d)^2 / 2,

averaged over the batch: similar pairs are pulled together, dissimilar pairs pushed apart until
they are at least ``margin`` away.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import ConfigError, DataError
from ..registry import LOSSES
from ._base import SiamkitLoss, check_vector


def check_binary_targets(y: Tensor, batch: int, name: str = "y") -> Tensor:
    """``y`` as a float vector of length ``batch`` with values in [0, 1] (1 = same)."""
    y = check_vector(y, batch, name)
    y = y.float() if not y.is_floating_point() else y
    if y.numel() and (torch.isnan(y).any() or y.min() < 0 or y.max() > 1):
        raise DataError(f"{name}: labels must lie in [0, 1] (1 = same, 0 = different)")
    return y


@LOSSES.register("contrastive", input_kind="pair_distances", inputs="d [B], y [B]",
                 paper="Hadsell, Chopra & LeCun 2006")
class ContrastiveLoss(SiamkitLoss):
    """Contrastive loss ``y*d^2/2 + (1-y)*max(0, margin-d)^2/2``, mean over the batch.

    Inputs: ``d`` float ``[B]`` paired distances (e.g. ``model.distance(x1, x2)``) and ``y``
    ``[B]`` labels, **1 = same** (similar), 0 = different; values in between (soft labels) are
    allowed. ``input_kind = "pair_distances"``. Paper: Hadsell, Chopra & LeCun (2006).
    """

    input_kind = "pair_distances"

    def __init__(self, margin: float = 1.0) -> None:
        super().__init__()
        if not margin > 0:
            raise ConfigError(f"margin: must be > 0, got {margin}")
        self.margin = float(margin)

    def forward(self, d: Tensor, y: Tensor) -> Tensor:
        d = check_vector(d, None, "d")
        if d.shape[0] == 0:
            raise DataError("d: empty batch")
        y = check_binary_targets(y, d.shape[0]).to(d)
        pull = y * d.pow(2)
        push = (1.0 - y) * torch.clamp(self.margin - d, min=0.0).pow(2)
        return 0.5 * (pull + push).mean()

    def extra_repr(self) -> str:
        return f"margin={self.margin}"
