"""What the losses with learned vectors per class share: the vectors, their checks and cosines.

ArcFace, CosFace and sub-center ArcFace learn class weights; Proxy-Anchor and ProxyNCA learn
proxies. Either way the loss owns an ``nn.Parameter`` ``weight`` of shape ``[n_classes *
per_class, embedding_dim]`` (row ``c * per_class + k`` is vector k of class c), so that:

* the Trainer trains it with the model (``loss.parameters()`` go to the optimizer, at ``lr *
  lr_multiplier`` when a paper's recipe moves them faster, e.g. proxies at 100x);
* a checkpoint keeps it (``loss.state_dict()``), so a resumed run continues exactly;
* the saved inference model does not: it belongs to the loss, not to the Siamese network.

Both sizes come from the data when a config builds the loss: the registry entries say
``data_args=("n_classes", "embedding_dim")`` and :mod:`siamkit.experiment.build` fills them in
(the training data's number of classes, the encoder's embedding size).

pytorch-metric-learning keeps the transposed layout ``[embedding_dim, n_classes]`` for its margin
losses (``loss.W``) and this one for its proxies (``loss.proxies``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ConfigError, DataError
from ..geometry import check_labelled
from ._base import SiamkitLoss, positive_float

DATA_ARGS = ("n_classes", "embedding_dim")
INIT = {
    "normal": nn.init.normal_,
    # He et al. 2015, over the rows: what Kim et al. (2020) use for their proxies
    "kaiming": lambda w: nn.init.kaiming_normal_(w, mode="fan_out"),
}


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name}: must be an int >= 1, got {value!r}")
    return value


class LearnedWeightsLoss(SiamkitLoss):
    """Base class: ``per_class`` learned vectors for each of ``n_classes`` classes.

    ``lr_multiplier`` scales the learning rate of ``weight`` in the Trainer (1 = the model's).
    ``init`` is "normal" (N(0, 1)) or "kaiming"; only the direction of a vector matters to the
    losses built on it, which normalise it. ``input_kind = "labelled"``: ``(embeddings [B, D],
    labels [B])``, labels being class ids in ``[0, n_classes)``.
    """

    input_kind = "labelled"

    def __init__(self, n_classes: int, embedding_dim: int, per_class: int = 1,
                 lr_multiplier: float = 1.0, init: str = "normal") -> None:
        super().__init__()
        self.n_classes = _positive_int(n_classes, "n_classes")
        self.embedding_dim = _positive_int(embedding_dim, "embedding_dim")
        self.per_class = _positive_int(per_class, "per_class")
        positive_float(lr_multiplier, "lr_multiplier")
        if init not in INIT:
            raise ConfigError(f"init: must be one of {', '.join(INIT)}, got {init!r}")
        self.lr_multiplier = float(lr_multiplier)
        self.weight = nn.Parameter(torch.empty(self.n_classes * self.per_class, self.embedding_dim))
        INIT[init](self.weight.data)

    def check_batch(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        """The labels as int64 ids, after checking the batch against the weights."""
        labels = check_labelled(embeddings, labels).long()
        if embeddings.shape[1] != self.embedding_dim:
            raise DataError(f"embeddings: dimension {embeddings.shape[1]} does not match the "
                            f"loss's embedding_dim {self.embedding_dim}")
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= self.n_classes:
            bad = low if low < 0 else high
            raise DataError(f"labels: class id {bad} is outside [0, {self.n_classes}) (the loss "
                            f"has weights for n_classes = {self.n_classes} classes)")
        return labels

    def normalized(self, embeddings: Tensor, scale: float = 1.0) -> tuple[Tensor, Tensor]:
        """``(scale * normalised embeddings [B, D], normalised weight rows)``: the scale goes on
        the embeddings, before any product with the weights (``B x D`` work, not ``B x C``)."""
        z = F.normalize(embeddings, dim=1) * scale
        return z, F.normalize(self.weight.to(z.dtype), dim=1)

    def own_cosines(self, z: Tensor, w: Tensor, labels: Tensor) -> Tensor:
        """``[B]``: each row's product with its own class (the closest of its vectors), as row-wise
        products with the gathered class vectors, whose gradient costs ``B x D`` where a gather
        from the ``[B, C]`` matrix would cost another dense pass."""
        own = w.view(self.n_classes, self.per_class, -1)[labels]  # [B, K, D]
        return (own * z.unsqueeze(1)).sum(dim=2).max(dim=1).values

    def extra_repr(self) -> str:
        per = f", per_class={self.per_class}" if self.per_class > 1 else ""
        return (f"n_classes={self.n_classes}, embedding_dim={self.embedding_dim}{per}, "
                f"lr_multiplier={self.lr_multiplier}")
