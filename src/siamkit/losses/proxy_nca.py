"""ProxyNCA (Movshovitz-Attias, Toshev, Leung, Ioffe & Singh, ICCV 2017).

"No Fuss Distance Metric Learning using Proxies", arXiv:1703.07464. Neighbourhood components
analysis (Goldberger et al. 2005) against one learned proxy per class instead of the other
samples: with normalised embeddings x and proxies p,

    L = mean_i -log( exp(-t d(x_i, p_y_i)) / sum_c exp(-t d(x_i, p_c)) ),  d = |x - p|^2.

As in pytorch-metric-learning (and ProxyNCA++, Teh et al. 2020) the sum in the denominator runs
over every proxy, the sample's own included: a softmax cross-entropy, bounded below by 0. The
paper's sum leaves the own proxy out. For unit vectors ``d = 2 - 2 cos``, so the loss is the
cross-entropy of the logits ``2 t cos(x_i, p_c)`` (the constant cancels in the softmax): one
``[B, C]`` product and the margin losses' cross-entropy with no margin.
"""

from __future__ import annotations

from torch import Tensor

from ..registry import LOSSES
from ._base import positive_float
from ._margin_softmax import margin_cross_entropy
from ._weights import DATA_ARGS, LearnedWeightsLoss


@LOSSES.register("proxy_nca", input_kind="labelled", inputs="embeddings [B, D], labels [B]",
                 paper="Movshovitz-Attias et al. 2017", data_args=DATA_ARGS,
                 learns="proxies [C, D]")
class ProxyNCALoss(LearnedWeightsLoss):
    """ProxyNCA: softmax over ``-scale * |x - p_c|^2`` to the learned proxies of every class.

    Inputs: ``embeddings`` float ``[B, D]`` (normalised inside) and ``labels`` ``[B]`` class ids in
    ``[0, n_classes)`` (equal id = same class, label 1 = same). ``weight`` holds the proxies
    ``[n_classes, embedding_dim]`` (a config takes both sizes from the data; normalised inside).
    ``scale`` (pytorch-metric-learning's ``softmax_scale``, default 1 as there; ProxyNCA++ uses 9)
    sharpens the softmax. ``lr_multiplier`` scales the proxies' learning rate in the Trainer.
    ``input_kind = "labelled"``. Paper: Movshovitz-Attias et al. (2017).
    """

    def __init__(self, n_classes: int, embedding_dim: int, scale: float = 1.0,
                 lr_multiplier: float = 1.0) -> None:
        super().__init__(n_classes, embedding_dim, lr_multiplier=lr_multiplier)
        self.scale = positive_float(scale, "scale")

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        labels = self.check_batch(embeddings, labels)
        z, w = self.normalized(embeddings, 2 * self.scale)
        return margin_cross_entropy(z, w, labels, self.own_cosines(z, w, labels))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, scale={self.scale}"
