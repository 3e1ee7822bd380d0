"""Binary cross-entropy for a match-probability head (Koch, Zemel & Salakhutdinov, 2015).

"Siamese Neural Networks for One-shot Image Recognition", ICML Deep Learning Workshop 2015: the
head maps |u - v| to a logit whose sigmoid is the probability that the pair is the same, trained
with binary cross-entropy. The loss takes logits and uses the log-sum-exp form
(``binary_cross_entropy_with_logits``), which stays finite where ``sigmoid`` saturates.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ..errors import DataError
from ..registry import LOSSES
from ._base import SiamkitLoss, check_vector
from .contrastive import check_binary_targets


@LOSSES.register("binary_cross_entropy", input_kind="pair_logits", inputs="logits [B], y [B]",
                 paper="Koch, Zemel & Salakhutdinov 2015")
class BinaryCrossEntropyLoss(SiamkitLoss):
    """Mean binary cross-entropy of pair logits against labels.

    Inputs: ``logits`` float ``[B]`` (e.g. ``siamkit.heads.L1SigmoidHead`` output before the
    sigmoid) and ``y`` ``[B]`` labels, **1 = same**, 0 = different (values in [0, 1]).
    ``pos_weight`` (optional) weighs the positive class, as in ``torch.nn.BCEWithLogitsLoss``.
    ``input_kind = "pair_logits"``. Paper: Koch et al. (2015).
    """

    input_kind = "pair_logits"

    def __init__(self, pos_weight: float | None = None) -> None:
        super().__init__()
        self.pos_weight = pos_weight

    def forward(self, logits: Tensor, y: Tensor) -> Tensor:
        logits = check_vector(logits, None, "logits")
        if logits.shape[0] == 0:
            raise DataError("logits: empty batch")
        y = check_binary_targets(y, logits.shape[0]).to(logits)
        pos_weight = None if self.pos_weight is None else logits.new_tensor(self.pos_weight)
        return F.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight)

    def extra_repr(self) -> str:
        return f"pos_weight={self.pos_weight}"
