"""CosFace: large margin cosine loss (Wang et al., CVPR 2018).

"CosFace: Large Margin Cosine Loss for Deep Face Recognition", arXiv:1801.09414 (the same loss as
the additive margin softmax of Wang, Cheng, Liu & Liu 2018). A softmax over classes on scaled
cosines to learned class weights, where the sample's own class must win by a cosine margin: its
logit is ``s * (cos(theta) - m)``.
"""

from __future__ import annotations

from torch import Tensor

from ..registry import LOSSES
from ._margin_softmax import MarginSoftmaxLoss
from ._weights import DATA_ARGS


@LOSSES.register("cosface", aliases=("large_margin_cosine",), input_kind="labelled",
                 inputs="embeddings [B, D], labels [B]", paper="Wang et al. 2018",
                 data_args=DATA_ARGS, learns="class weights [C, D]")
class CosFaceLoss(MarginSoftmaxLoss):
    """CosFace: softmax on ``scale * cos`` to learned class weights, ``margin`` subtracted from the
    cosine of the sample's own class.

    Inputs: ``embeddings`` float ``[B, D]`` (normalised inside) and ``labels`` ``[B]`` class ids in
    ``[0, n_classes)`` (equal id = same class, label 1 = same). ``n_classes`` and
    ``embedding_dim`` size the class weights ``weight`` ``[n_classes, embedding_dim]`` (a config
    takes them from the data); ``margin`` 0.35 and ``scale`` 64 are the paper's. ``lr_multiplier``
    scales the class weights' learning rate in the Trainer. ``input_kind = "labelled"``.
    Paper: Wang et al. (2018).
    """

    def __init__(self, n_classes: int, embedding_dim: int, margin: float = 0.35,
                 scale: float = 64.0, lr_multiplier: float = 1.0) -> None:
        super().__init__(n_classes, embedding_dim, margin, scale, lr_multiplier=lr_multiplier)

    def target_cosine(self, cos: Tensor) -> Tensor:
        return cos - self.margin
