"""Proxy-Anchor loss (Kim, Kim, Cho & Kwak, CVPR 2020).

"Proxy Anchor Loss for Deep Metric Learning", arXiv:2003.13911. One learned proxy per class is the
anchor; every sample of the batch is pulled towards its class's proxy and pushed from the others,
each weighted by how hard it is (a soft log-sum-exp over the batch):

    L = 1/|P+| sum_{p in P+} log(1 + sum_{x in X_p+} exp(-alpha (s(x, p) - delta)))
      + 1/|P|  sum_{p in P}  log(1 + sum_{x in X_p-} exp( alpha (s(x, p) + delta)))

with s the cosine similarity, P all proxies, P+ those with a sample in the batch, X_p+ / X_p- the
samples of / not of p's class. The positive sums run over the ``B`` entries of the samples' own
classes only (a scatter-add per class); only the negative sums need the ``[B, C]`` matrix.
The paper trains the proxies 100 times faster than the network (``lr_multiplier=100``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..registry import LOSSES
from ._base import positive_float
from ._weights import DATA_ARGS, LearnedWeightsLoss


def log1p_sum_exp_by_class(x: Tensor, labels: Tensor, n_classes: int) -> Tensor:
    """``[C]``: ``log(1 + sum_{i: labels_i = c} exp(x_i))`` (0 for a class with no sample), shifted
    by each class's largest term so that nothing overflows or loses its small values."""
    top = torch.zeros(n_classes, dtype=x.dtype, device=x.device)
    top = top.scatter_reduce(0, labels, x.detach(), "amax", include_self=True)  # >= 0
    sums = torch.zeros_like(top).index_add(0, labels, torch.exp(x - top[labels]))
    return top + torch.log(torch.exp(-top) + sums)


def log1p_sum_exp_masked(x: Tensor, keep: Tensor) -> Tensor:
    """``[C]``: ``log(1 + sum_{i: keep_ic} exp(x_ic))`` over the rows of ``x`` ``[B, C]``."""
    x = x.masked_fill(~keep, float("-inf"))
    top = x.detach().amax(dim=0).clamp_min(0)
    return top + torch.log(torch.exp(-top) + torch.exp(x - top).sum(dim=0))


@LOSSES.register("proxy_anchor", input_kind="labelled", inputs="embeddings [B, D], labels [B]",
                 paper="Kim et al. 2020", data_args=DATA_ARGS, learns="proxies [C, D]")
class ProxyAnchorLoss(LearnedWeightsLoss):
    """Proxy-Anchor: each class's learned proxy against the batch's samples, with soft weighting.

    Inputs: ``embeddings`` float ``[B, D]`` (normalised inside) and ``labels`` ``[B]`` class ids in
    ``[0, n_classes)`` (equal id = same class, label 1 = same). ``weight`` holds the proxies
    ``[n_classes, embedding_dim]`` (a config takes both sizes from the data), initialised as the
    paper's (Kaiming normal). ``margin`` (delta) 0.1, ``alpha`` 32 and ``lr_multiplier`` 100 (the
    proxies' learning rate over the network's, in the Trainer) are the paper's. Every batch gives
    a loss (the negative term needs no positive pair). ``input_kind = "labelled"``.
    Paper: Kim et al. (2020).
    """

    def __init__(self, n_classes: int, embedding_dim: int, margin: float = 0.1,
                 alpha: float = 32.0, lr_multiplier: float = 100.0) -> None:
        super().__init__(n_classes, embedding_dim, lr_multiplier=lr_multiplier, init="kaiming")
        self.margin, self.alpha = float(margin), positive_float(alpha, "alpha")

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        labels = self.check_batch(embeddings, labels)
        z, w = self.normalized(embeddings, self.alpha)
        scaled, own = z @ w.T, self.own_cosines(z, w, labels)  # alpha * s(x, p)
        column = labels.unsqueeze(1)
        ad = self.alpha * self.margin
        pos = log1p_sum_exp_by_class(ad - own, labels, self.n_classes)
        others = torch.ones_like(scaled, dtype=torch.bool).scatter_(1, column, False)
        neg = log1p_sum_exp_masked(scaled + ad, others)
        with_positives = int(torch.unique(labels).numel())
        return pos.sum() / with_positives + neg.sum() / self.n_classes

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, margin={self.margin}, alpha={self.alpha}"
