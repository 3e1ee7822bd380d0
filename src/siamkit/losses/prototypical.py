"""Prototypical loss (Snell, Swersky & Zemel, NeurIPS 2017) on episodes of N-way K-shot tasks.

"Prototypical Networks for Few-shot Learning", arXiv:1703.05175. In an episode (see
:mod:`siamkit.data.batches.episodes`) the prototype of class c is the mean of its support
embeddings, ``c_k = mean_{i in S_k} f(x_i)``, and each query is classified by a softmax over
minus its distances to the prototypes:

    L = mean_{q in queries} -log softmax_k(-d(f(x_q), c_k) / temperature)[y_q]

with ``d`` the squared euclidean distance, as in the paper (its section 2.3 shows that this makes
the classifier linear in the embedding). ``metric="euclidean"`` or ``"cosine"`` (then
``temperature`` matters: cosines lie in [-1, 1]) are the other choices; a model scored with the
euclidean distance ranks the prototypes as the squared one does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ..distances import Distance
from ..errors import ConfigError, DataError
from ..geometry import check_labelled
from ..registry import LOSSES
from ._base import SiamkitLoss, as_distance, positive_float, resolve_distance

METRICS = ("squared_euclidean", "euclidean", "cosine")


def prototypes(embeddings: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """``(classes [C], means [C, D])``: each class's mean embedding, classes in sorted order."""
    classes, inverse = torch.unique(labels, return_inverse=True)
    sums = embeddings.new_zeros(len(classes), embeddings.shape[1]).index_add(0, inverse, embeddings)
    counts = torch.bincount(inverse, minlength=len(classes)).to(embeddings.dtype)
    return classes, sums / counts.unsqueeze(1)


@LOSSES.register("prototypical", input_kind="episodes",
                 inputs="embeddings [B, D], labels [B], query [B] bool",
                 paper="Snell, Swersky & Zemel 2017")
class PrototypicalLoss(SiamkitLoss):
    """Cross-entropy of each query against the episode's class prototypes.

    Inputs: ``embeddings`` float ``[B, D]``, ``labels`` ``[B]`` integer class ids (equal id = same
    class, label 1 = same), ``query`` bool ``[B]``: True for the queries, False for the support
    whose means are the prototypes. Every query's class must have support in the episode. An
    episode without queries, or with a single class, gives a zero loss (see
    ``degenerate_batches``). ``metric``: "squared_euclidean" (the paper's), "euclidean" or
    "cosine"; logits are ``-distance / temperature``. ``input_kind = "episodes"``.
    Paper: Snell, Swersky & Zemel (2017).
    """

    input_kind = "episodes"

    def __init__(self, metric: str | Distance = "squared_euclidean",
                 temperature: float = 1.0) -> None:
        super().__init__()
        name = metric.name if isinstance(metric, Distance) else metric
        if name not in METRICS:
            raise ConfigError(f"metric: must be one of {', '.join(METRICS)}, got {metric!r}")
        self.metric = resolve_distance(name)
        self.temperature = positive_float(temperature, "temperature")

    def logits(self, embeddings: Tensor, labels: Tensor, query: Tensor) -> tuple[Tensor, Tensor]:
        """``(logits [Q, C], target [Q])``: each query against the prototypes, and the index of
        its own class among them."""
        labels = check_labelled(embeddings, labels)
        query = _check_query(query, len(labels))
        classes, centres = prototypes(embeddings[~query], labels[~query])
        q_labels = labels[query]
        target = torch.searchsorted(classes, q_labels)
        found = (target < len(classes)) & (classes[target.clamp_max(len(classes) - 1)] == q_labels)
        if not bool(found.all()):
            missing = int(q_labels[~found][0])
            raise DataError(f"episode: query class {missing} has no support sample; every query's "
                            f"class needs at least one support row (query = False)")
        values = self.metric.pairwise(embeddings[query], centres)
        return -as_distance(self.metric, values) / self.temperature, target

    def forward(self, embeddings: Tensor, labels: Tensor, query: Tensor) -> Tensor:
        query = _check_query(query, len(embeddings))
        support = labels[~query] if len(labels) == len(query) else labels
        if not bool(query.any()) or bool(query.all()) or torch.unique(support).numel() < 2:
            return self._zero_loss("an episode needs queries and support of two classes or more",
                                   embeddings)
        logits, target = self.logits(embeddings, labels, query)
        return F.cross_entropy(logits, target)

    def extra_repr(self) -> str:
        return f"metric={self.metric.name!r}, temperature={self.temperature}"


def _check_query(query: Tensor, n: int) -> Tensor:
    if not isinstance(query, Tensor) or query.dim() != 1 or len(query) != n:
        shape = tuple(query.shape) if isinstance(query, Tensor) else type(query).__name__
        raise DataError(f"query: expected a bool tensor [{n}] (True on query rows), got {shape}")
    return query.to(torch.bool)
