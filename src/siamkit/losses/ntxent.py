"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al., ICML 2020).

"A Simple Framework for Contrastive Learning of Visual Representations", arXiv:2002.05709; the
N-pair loss (Sohn 2016) and InfoNCE (van den Oord et al. 2018) with cosine similarity and a
temperature. As pytorch-metric-learning's ``NTXentLoss`` defines it on a labelled batch, every
positive pair (i, p) (same class, i != p) is one term, scored against i's negatives only:

    L = mean_{(i, p)} -log( exp(s_ip) / (exp(s_ip) + sum_{n: y_n != y_i} exp(s_in)) ),
    s_ij = cos(z_i, z_j) / tau.

SimCLR is the case of two views per sample: ``loss(torch.cat([v1, v2]), torch.arange(B).repeat(2))``
(every other sample and view a negative), which is what pytorch-metric-learning's
``SelfSupervisedLoss(NTXentLoss())`` computes from ``(v1, v2)``. Each term is
``logaddexp(logsumexp_n s_in, s_ip) - s_ip``: one masked log-sum-exp per anchor over the
``[B, B]`` matrix, then the positive pairs gathered.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..geometry import check_labelled
from ..registry import LOSSES
from ._base import SiamkitLoss, positive_float
from .supcon import NO_PAIR


@LOSSES.register("ntxent", aliases=("nt_xent",), input_kind="labelled",
                 inputs="embeddings [B, D], labels [B]", paper="Chen et al. 2020")
class NTXentLoss(SiamkitLoss):
    """NT-Xent over a labelled batch: each positive pair against the anchor's negatives.

    Inputs: ``embeddings`` float ``[B, D]`` (normalised inside) and ``labels`` ``[B]`` integer
    class ids (equal id = same class, label 1 = same); for duplicate pairs ``(v1, v2)`` pass
    ``torch.cat([v1, v2])`` with labels ``torch.arange(B).repeat(2)`` (see the module docstring).
    ``temperature`` 0.07 is pytorch-metric-learning's default (SimCLR tunes 0.1 - 1). A batch
    with no positive pair or no negative gives a zero loss (see ``degenerate_batches``).
    ``input_kind = "labelled"``. Paper: Chen et al. (2020).
    """

    input_kind = "labelled"

    def __init__(self, temperature: float = 0.07) -> None:
        super().__init__()
        self.temperature = positive_float(temperature, "temperature")

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        labels = check_labelled(embeddings, labels)
        same = labels.unsqueeze(0) == labels.unsqueeze(1)
        pos = same.clone().fill_diagonal_(False)
        if not bool(pos.any()) or bool(same.all()):
            return self._zero_loss(NO_PAIR, embeddings)
        z = F.normalize(embeddings, dim=1)
        logits = (z / self.temperature) @ z.T
        negatives = torch.logsumexp(logits.masked_fill(same, float("-inf")), dim=1)
        a, p = pos.nonzero(as_tuple=True)
        positive = logits[a, p]
        return (torch.logaddexp(negatives[a], positive) - positive).mean()

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}"
