"""Supervised contrastive loss, SupCon (Khosla et al., NeurIPS 2020).

"Supervised Contrastive Learning", arXiv:2004.11362, the L_out form. With normalised embeddings z
and temperature tau, each anchor i is scored against every other sample of the batch, and the
log-probabilities of its positives P(i) (same class, not itself) are averaged:

    L = mean_{i: P(i) non-empty} -1/|P(i)| sum_{p in P(i)} log( exp(z_i.z_p / tau)
                                                               / sum_{a != i} exp(z_i.z_a / tau) )

Written as ``logsumexp_{a != i}(z_i.z_a / tau) - mean_{p in P(i)} z_i.z_p / tau``; the positive
mean is ``z_i . (S_y_i - z_i) / tau`` with ``S_c`` the sum of class c's embeddings, so the
``[B, B]`` matrix is used by one log-sum-exp only. pytorch-metric-learning's ``SupConLoss``
computes the same (its mean is over the anchors with a non-zero loss, i.e. those with a positive).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..geometry import check_labelled, reference_masks
from ..registry import LOSSES
from ._base import SiamkitLoss, positive_float

NO_PAIR = "no anchor has both a positive and a negative (every class appears once, or all "\
          "samples share one class)"


def class_sums(z: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """``(S[labels], counts[labels])``: each row's class's sum of rows, and its number of rows."""
    ids, inverse = torch.unique(labels, return_inverse=True)
    sums = z.new_zeros(len(ids), z.shape[1]).index_add(0, inverse, z)
    counts = torch.bincount(inverse, minlength=len(ids))
    return sums[inverse], counts[inverse]


def off_diagonal_logsumexp(logits: Tensor) -> Tensor:
    """``[B]``: ``logsumexp_{j != i} logits_ij`` (the diagonal left out)."""
    eye = torch.eye(len(logits), dtype=torch.bool, device=logits.device)
    return torch.logsumexp(logits.masked_fill(eye, float("-inf")), dim=1)


@LOSSES.register("supcon", input_kind="labelled", inputs="embeddings [B, D], labels [B]",
                 paper="Khosla et al. 2020")
class SupConLoss(SiamkitLoss):
    """Supervised contrastive loss (L_out) over a labelled batch, with a temperature.

    Inputs: ``embeddings`` float ``[B, D]`` (normalised inside) and ``labels`` ``[B]`` integer
    class ids (equal id = same class, label 1 = same). ``temperature`` 0.1 is the paper's (and
    pytorch-metric-learning's). Anchors with no positive are left out of the mean; a batch with
    no positive pair or no negative gives a zero loss (see ``degenerate_batches``).
    ``input_kind = "labelled"``. Paper: Khosla et al. (2020).
    """

    input_kind = "labelled"

    def __init__(self, temperature: float = 0.1) -> None:
        super().__init__()
        self.temperature = positive_float(temperature, "temperature")

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        labels = check_labelled(embeddings, labels)
        z = F.normalize(embeddings, dim=1)
        sums, counts = class_sums(z, labels)
        has_positive = counts > 1
        if not bool(has_positive.any()) or int(counts[0]) == len(z):  # no positive, or one class
            return self._zero_loss(NO_PAIR, embeddings)
        zt = z / self.temperature
        denominator = off_diagonal_logsumexp(zt @ z.T)
        positives = (zt * (sums - z)).sum(1) / (counts - 1).clamp_min(1)
        return (denominator - positives)[has_positive].mean()

    def reference_loss(self, embeddings: Tensor, labels: Tensor, refs: Tensor, ref_labels: Tensor,
                       same: Tensor) -> Tensor:
        """The loss of the batch's anchors against ``refs`` (a cross-batch memory, see
        :mod:`.cross_batch_memory`): the denominator runs over every reference but the anchor's
        own copy (``same`` ``[B, M]``), the positives over the references of its class."""
        labels = check_labelled(embeddings, labels)
        pos, neg = reference_masks(labels, ref_labels, same)
        has_positive = pos.any(1)
        if not bool(has_positive.any()) or not bool(neg.any()):
            return self._zero_loss(NO_PAIR, embeddings)
        logits = F.normalize(embeddings, dim=1) @ F.normalize(refs, dim=1).T / self.temperature
        denominator = torch.logsumexp(logits.masked_fill(same, float("-inf")), dim=1)
        positives = (logits * pos).sum(1) / pos.sum(1).clamp_min(1)
        return (denominator - positives)[has_positive].mean()

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}"
