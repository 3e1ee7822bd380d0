"""The body of the additive-margin softmax losses (CosFace, ArcFace, sub-center ArcFace).

Each is a softmax cross-entropy over classes whose logits are scaled cosines between the
normalised embedding and the normalised class weights, with a margin applied to the cosine of the
sample's own class only:

    L = mean_i -log( exp(s * f(cos_i,y_i)) / (exp(s * f(cos_i,y_i)) + sum_{c != y_i} exp(s * cos_i,c)) )

The losses differ only in ``f``, the margin on the target cosine. The cost is the ``[B, C]`` matrix
product (three of them with the backward pass); what comes after it is kept to a few passes over
the matrix: the scale multiplies the normalised embeddings before the product (``B x D`` work, not
``B x C``), and :func:`margin_cross_entropy` computes the softmax once and turns it into the
gradient in place, where ``scatter`` + ``cross_entropy`` would copy the matrix several times.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import ConfigError
from ._weights import LearnedWeightsLoss


class _MarginCrossEntropy(torch.autograd.Function):
    """``mean_i [logsumexp_c X'_ic - t_i]`` with ``X'`` = ``logits`` whose column ``labels_i`` is
    replaced by ``target_i``. Saves the softmax of ``X'`` (one ``[B, C]`` buffer) and makes the
    gradient from it in place, so its backward can run once (a second ``backward`` through a
    retained graph raises)."""

    @staticmethod
    def forward(ctx, logits: Tensor, labels: Tensor, target: Tensor) -> Tensor:
        column = labels.unsqueeze(1)
        top = torch.maximum(logits.amax(dim=1), target).unsqueeze(1)
        exp = torch.sub(logits, top).exp_()
        exp.scatter_(1, column, torch.exp(target.unsqueeze(1) - top))
        total = exp.sum(dim=1, keepdim=True)
        ctx.save_for_backward(exp, total, column)
        ctx.used = False
        return (top + total.log()).mean() - target.mean()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, Tensor]:
        if ctx.used:
            raise RuntimeError("margin_cross_entropy: its backward can run once per forward")
        ctx.used = True
        exp, total, column = ctx.saved_tensors
        scale = grad / len(exp)
        softmax = exp.div_(total)
        d_target = (softmax.gather(1, column).squeeze(1) - 1) * scale
        # the target column's gradient goes to ``target``; the logit it replaced had none
        d_logits = softmax.scatter_(1, column, 0.0).mul_(scale)
        return d_logits, None, d_target


def margin_cross_entropy(logits: Tensor, labels: Tensor, target: Tensor) -> Tensor:
    """Softmax cross-entropy of ``logits`` ``[B, C]`` for class ``labels`` ``[B]``, with the
    logit of each sample's class replaced by ``target`` ``[B]`` (a margin applied to it)."""
    return _MarginCrossEntropy.apply(logits, labels, target)


class MarginSoftmaxLoss(LearnedWeightsLoss):
    """Scaled-cosine softmax cross-entropy with ``target_cosine`` (the margin) on the sample's own
    class; subclasses define ``target_cosine(cos) -> cos'`` on unscaled cosines ``[B]``."""

    def __init__(self, n_classes: int, embedding_dim: int, margin: float, scale: float,
                 sub_centers: int = 1, lr_multiplier: float = 1.0) -> None:
        super().__init__(n_classes, embedding_dim, per_class=sub_centers,
                         lr_multiplier=lr_multiplier)
        if not float(scale) > 0:
            raise ConfigError(f"scale: must be > 0, got {scale!r}")
        if float(margin) < 0:
            raise ConfigError(f"margin: must be >= 0, got {margin!r}")
        self.margin, self.scale = float(margin), float(scale)

    def target_cosine(self, cos: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        labels = self.check_batch(embeddings, labels)
        logits, own = self.cosines(embeddings, labels, self.scale)  # s * cos
        target = own / self.scale
        return margin_cross_entropy(logits, labels, self.target_cosine(target) * self.scale)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, margin={self.margin}, scale={self.scale}"
