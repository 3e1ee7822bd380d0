"""Sub-center ArcFace (Deng, Guo, Liu, Gong & Zafeiriou, ECCV 2020).

"Sub-center ArcFace: Boosting Face Recognition by Large-Scale Noisy Web Faces". ArcFace with ``K``
weight vectors (sub-centers) per class: a sample's cosine to a class is its cosine to the closest
of the class's sub-centers, so that noisy or atypical samples gather round a sub-center of their
own instead of pulling the dominant one. The margin and the softmax are ArcFace's.
"""

from __future__ import annotations

from torch import Tensor

from ..registry import LOSSES
from ._margin_softmax import MarginSoftmaxLoss
from ._weights import DATA_ARGS
from .arcface import additive_angular_margin


@LOSSES.register("subcenter_arcface", input_kind="labelled",
                 inputs="embeddings [B, D], labels [B]", paper="Deng et al. 2020",
                 data_args=DATA_ARGS, learns="class weights [C * K, D]")
class SubCenterArcFaceLoss(MarginSoftmaxLoss):
    """ArcFace on the closest of ``sub_centers`` learned weight vectors per class.

    Inputs: ``embeddings`` float ``[B, D]`` (normalised inside) and ``labels`` ``[B]`` class ids in
    ``[0, n_classes)`` (equal id = same class, label 1 = same). ``weight`` is ``[n_classes *
    sub_centers, embedding_dim]``, row ``c * sub_centers + k`` sub-center k of class c (a config
    takes ``n_classes`` and ``embedding_dim`` from the data). ``sub_centers`` 3, ``margin`` 0.5 rad
    and ``scale`` 64 are the paper's. ``lr_multiplier`` scales the weights' learning rate in the
    Trainer. ``input_kind = "labelled"``. Paper: Deng et al. (2020).
    """

    def __init__(self, n_classes: int, embedding_dim: int, sub_centers: int = 3,
                 margin: float = 0.5, scale: float = 64.0, lr_multiplier: float = 1.0) -> None:
        super().__init__(n_classes, embedding_dim, margin, scale, sub_centers=sub_centers,
                         lr_multiplier=lr_multiplier)

    @property
    def sub_centers(self) -> int:
        return self.per_class

    def target_cosine(self, cos: Tensor) -> Tensor:
        return additive_angular_margin(cos, self.margin)
