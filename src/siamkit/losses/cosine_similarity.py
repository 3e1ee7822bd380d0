"""Cosine similarity regression loss, for pairs with continuous similarity targets.

As sentence-transformers' ``CosineSimilarityLoss`` (Reimers & Gurevych, "Sentence-BERT", EMNLP
2019): the mean squared error between cos(u_i, v_i) and a target similarity t_i,

    L = mean_i (cos(u_i, v_i) - t_i)^2.

Targets must lie in ``target_range``, (0, 1) or (-1, 1); out-of-range targets are an error rather
than a silently distorted objective (cosine cannot exceed 1).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..distances import cosine_similarity
from ..errors import ConfigError, DataError
from ..registry import LOSSES
from ._base import SiamkitLoss, check_same_shape, check_vector

RANGES = ((0.0, 1.0), (-1.0, 1.0))


@LOSSES.register("cosine_similarity", input_kind="scored_pairs",
                 inputs="u [B, D], v [B, D], target [B]", paper="Reimers & Gurevych 2019")
class CosineSimilarityLoss(SiamkitLoss):
    """MSE between the cosine similarity of paired embeddings and a continuous target.

    Inputs: ``u``, ``v`` float ``[B, D]`` embeddings and ``target`` float ``[B]`` similarities,
    higher = more similar (1 = same), within ``target_range``. ``input_kind = "scored_pairs"``.
    Paper: Reimers & Gurevych (2019).
    """

    input_kind = "scored_pairs"

    def __init__(self, target_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__()
        target_range = tuple(float(x) for x in target_range)  # type: ignore[assignment]
        if target_range not in RANGES:
            raise ConfigError(f"target_range: must be (0, 1) or (-1, 1), got {target_range}")
        self.target_range = target_range

    def forward(self, u: Tensor, v: Tensor, target: Tensor) -> Tensor:
        check_same_shape(u, v, ("u", "v"))
        target = check_vector(target, u.shape[0], "target")
        target = target.to(device=u.device, dtype=u.dtype)
        lo, hi = self.target_range
        bad = torch.isnan(target) | (target < lo) | (target > hi)
        if bad.any():
            i = int(bad.nonzero()[0])
            raise DataError(
                f"target: value {float(target[i])} at index {i} is outside target_range "
                f"[{lo:g}, {hi:g}] ({int(bad.sum())} of {target.numel()} out of range)"
            )
        return (cosine_similarity(u, v) - target).pow(2).mean()

    def extra_repr(self) -> str:
        return f"target_range={self.target_range}"
