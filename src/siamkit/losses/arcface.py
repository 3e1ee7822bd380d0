"""ArcFace: additive angular margin loss (Deng, Guo, Xue & Zafeiriou, CVPR 2019).

"ArcFace: Additive Angular Margin Loss for Deep Face Recognition", arXiv:1801.07698. A softmax
over classes on scaled cosines to learned class weights, where the sample's own class must win by
an angle ``m``: its logit is ``s * cos(theta + m)`` instead of ``s * cos(theta)``, theta the angle
between the normalised embedding and its class weight. Where ``theta + m`` would pass pi the
logit is ``s * (cos(theta) - m * sin(m))``, which keeps it decreasing in theta (the paper's
released code, and pytorch-metric-learning's).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..registry import LOSSES
from ._margin_softmax import MarginSoftmaxLoss
from ._weights import DATA_ARGS


def additive_angular_margin(cos: Tensor, margin: float) -> Tensor:
    """``cos(theta + margin)`` where ``theta + margin <= pi``, else ``cos(theta) - margin *
    sin(margin)``. Written with ``sin(theta) = sqrt(1 - cos^2)`` rather than ``acos``, whose
    gradient is infinite at ``cos = 1``; the clamp keeps it finite there too."""
    cos_m, sin_m = math.cos(margin), math.sin(margin)
    sin = torch.sqrt((1 - cos * cos).clamp_min(1e-12))
    return torch.where(cos >= -cos_m, cos * cos_m - sin * sin_m, cos - margin * sin_m)


@LOSSES.register("arcface", input_kind="labelled", inputs="embeddings [B, D], labels [B]",
                 paper="Deng et al. 2019", data_args=DATA_ARGS, learns="class weights [C, D]")
class ArcFaceLoss(MarginSoftmaxLoss):
    """ArcFace: softmax on ``scale * cos`` to learned class weights, angle ``margin`` (radians) on
    the sample's own class.

    Inputs: ``embeddings`` float ``[B, D]`` (normalised inside) and ``labels`` ``[B]`` class ids in
    ``[0, n_classes)`` (equal id = same class, label 1 = same). ``n_classes`` and
    ``embedding_dim`` size the class weights ``weight`` ``[n_classes, embedding_dim]`` (a config
    takes them from the data); ``margin`` 0.5 rad (28.6 degrees) and ``scale`` 64 are the paper's.
    ``lr_multiplier`` scales the class weights' learning rate in the Trainer. Every sample counts,
    so a batch is never degenerate. ``input_kind = "labelled"``. Paper: Deng et al. (2019).
    """

    def __init__(self, n_classes: int, embedding_dim: int, margin: float = 0.5,
                 scale: float = 64.0, lr_multiplier: float = 1.0) -> None:
        super().__init__(n_classes, embedding_dim, margin, scale, lr_multiplier=lr_multiplier)

    def target_cosine(self, cos: Tensor) -> Tensor:
        return additive_angular_margin(cos, self.margin)
