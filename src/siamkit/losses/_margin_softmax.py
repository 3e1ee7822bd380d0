"""The body of the additive-margin softmax losses (CosFace, ArcFace, sub-center ArcFace; ProxyNCA
uses its cross-entropy with no margin).

Each is a softmax cross-entropy over classes whose logits are scaled cosines between the
normalised embedding and the normalised class weights, with a margin applied to the cosine of the
sample's own class only:

    L = mean_i -log( exp(s f(cos_iy)) / (exp(s f(cos_iy)) + sum_{c != y_i} exp(s cos_ic)) )

The losses differ only in ``f``, the margin on the target cosine. The cost is the ``[B, C]`` matrix
product (three of them with the backward pass); what comes after it is kept to a few passes over
one buffer: the scale multiplies the normalised embeddings before the product (``B x D`` work, not
``B x C``), the target cosines are row-wise products with the gathered class weights, and
:func:`margin_cross_entropy` turns the product's output into the softmax and then the gradient in
place, where ``scatter`` + ``cross_entropy`` would copy the matrix several times.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import ConfigError
from ._base import positive_float
from ._weights import LearnedWeightsLoss


class _MarginCrossEntropy(torch.autograd.Function):
    """``mean_i [logsumexp_c X'_ic - t_i]``, ``X = z w^T`` (with ``per_class`` > 1 the maximum
    over each class's rows of ``w``) and ``X'`` = ``X`` whose column ``labels_i`` is replaced by
    ``target_i``. The product is made here so that its output can become the softmax in place and
    then the gradient in place: one ``[B, C]`` buffer for the whole forward and backward. Its
    backward can therefore run once (a second one through a retained graph raises)."""

    @staticmethod
    def forward(ctx, z: Tensor, w: Tensor, labels: Tensor, target: Tensor,
                per_class: int) -> Tensor:
        logits, where = z @ w.T, None
        if per_class > 1:  # the closest sub-center of each class
            logits, where = logits.view(len(z), -1, per_class).max(dim=2)
        column = labels.unsqueeze(1)
        top = torch.maximum(logits.amax(dim=1), target).unsqueeze(1)
        exp = logits.sub_(top).exp_()
        exp.scatter_(1, column, torch.exp(target.unsqueeze(1) - top))
        total = exp.sum(dim=1, keepdim=True)
        ctx.save_for_backward(z, w, exp, total, column, where)
        ctx.per_class, ctx.used = per_class, False
        return (top + total.log()).mean() - target.mean()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, Tensor, None, Tensor, None]:
        if ctx.used:
            raise RuntimeError("margin_cross_entropy: its backward can run once per forward")
        ctx.used = True
        z, w, exp, total, column, where = ctx.saved_tensors
        scale = grad / len(exp)
        softmax = exp.div_(total)
        d_target = (softmax.gather(1, column).squeeze(1) - 1) * scale
        # the target column's gradient goes to ``target``; the logit it replaced had none
        d_logits = softmax.scatter_(1, column, 0.0).mul_(scale)
        if ctx.per_class > 1:  # to the sub-center that won each class
            full = d_logits.new_zeros(len(z), d_logits.shape[1], ctx.per_class)
            d_logits = full.scatter_(2, where.unsqueeze(2), d_logits.unsqueeze(2)).flatten(1)
        return d_logits @ w, d_logits.T @ z, None, d_target, None


def margin_cross_entropy(z: Tensor, w: Tensor, labels: Tensor, target: Tensor,
                         per_class: int = 1) -> Tensor:
    """Softmax cross-entropy over the logits ``z @ w.T`` ``[B, C]`` (the best of each class's
    ``per_class`` rows of ``w``) for class ``labels`` ``[B]``, with the logit of each sample's own
    class replaced by ``target`` ``[B]`` (a margin applied to it)."""
    return _MarginCrossEntropy.apply(z, w, labels, target, per_class)


class MarginSoftmaxLoss(LearnedWeightsLoss):
    """Scaled-cosine softmax cross-entropy with ``target_cosine`` (the margin) on the sample's own
    class; subclasses define ``target_cosine(cos) -> cos'`` on unscaled cosines ``[B]``."""

    def __init__(self, n_classes: int, embedding_dim: int, margin: float, scale: float,
                 sub_centers: int = 1, lr_multiplier: float = 1.0) -> None:
        super().__init__(n_classes, embedding_dim, per_class=sub_centers,
                         lr_multiplier=lr_multiplier)
        positive_float(scale, "scale")
        if float(margin) < 0:
            raise ConfigError(f"margin: must be >= 0, got {margin!r}")
        self.margin, self.scale = float(margin), float(scale)

    def target_cosine(self, cos: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        labels = self.check_batch(embeddings, labels)
        z, w = self.normalized(embeddings, self.scale)
        target = self.target_cosine(self.own_cosines(z, w, labels) / self.scale) * self.scale
        return margin_cross_entropy(z, w, labels, target, self.per_class)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, margin={self.margin}, scale={self.scale}"
