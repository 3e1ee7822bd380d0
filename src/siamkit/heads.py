"""Learned comparison heads on top of the twin embeddings.

:class:`L1SigmoidHead` is the head of Koch, Zemel and Salakhutdinov (2015), "Siamese Neural Networks
for One-shot Image Recognition": the component-wise L1 distance ``|u - v|`` goes through a linear layer
and a sigmoid, giving the probability that the two inputs are the same (label 1). It returns *logits*
so that training can use the numerically stable binary cross-entropy with logits
(:class:`siamkit.losses.BinaryCrossEntropyLoss`); :meth:`probability` applies the sigmoid.

A model with a head scores pairs by the sigmoid of the head's logit, a match probability;
:class:`HeadScores` says what those scores mean (as a :class:`siamkit.distances.Distance` does for
a model without a head), and :func:`head_scores` gives it for any head module.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from .errors import ConfigError
from .registry import HEADS, did_you_mean


class HeadScores:
    """What the scores of a model with a head mean: match probabilities (the model applies the
    sigmoid to the head's logits). A gallery finds candidates with an ``index_metric`` index on the
    raw embeddings and rescores them with the head."""

    score_kind = "probability"
    score_description = "match probability of the head"
    index_metric = "l2"
    index_normalized = False

    @staticmethod
    def distance_from_score(scores: Any) -> Any:
        """Probabilities back to dissimilarities: ``1 - p``."""
        return 1.0 - scores


def head_scores(head: nn.Module) -> HeadScores:
    """What the scores of a model with ``head`` mean: the head's own account if it gives one, else
    the defaults of :class:`HeadScores` (any head's sigmoid is a match probability)."""
    return head if isinstance(head, HeadScores) else HeadScores()


# ``output`` is the loss input kind it feeds: a loss of that kind trains this head.
@HEADS.register("l1_sigmoid", input="embedding pairs (u [B, D], v [B, D])", output="pair_logits")
class L1SigmoidHead(HeadScores, nn.Module):
    """``(u [B, D], v [B, D]) -> logit [B]`` of "same" (1 = same), from ``w . |u - v| + b``."""

    name = "l1_sigmoid"
    score_description = "match probability of the l1_sigmoid head"
    index_metric = "l1"  # w . |u - v| is a weighted L1 distance: an L1 index shortlists well

    def __init__(self, embedding_dim: int) -> None:
        super().__init__()
        if int(embedding_dim) < 1:
            raise ConfigError(f"l1_sigmoid head: embedding_dim must be >= 1, got {embedding_dim}")
        self.embedding_dim = int(embedding_dim)
        self.linear = nn.Linear(self.embedding_dim, 1)
        # Start with "far apart = different": negative weights, so an untrained head already ranks
        # pairs by L1 distance instead of at random.
        nn.init.uniform_(self.linear.weight, -2.0 / self.embedding_dim, -0.5 / self.embedding_dim)
        nn.init.constant_(self.linear.bias, 1.0)

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        return self.linear((u - v).abs()).squeeze(1)

    def probability(self, u: Tensor, v: Tensor) -> Tensor:
        return torch.sigmoid(self.forward(u, v))

    def pairwise_logits(self, u: Tensor, v: Tensor, chunk_size: int = 256) -> Tensor:
        """``[B, B']`` logits for every (u_i, v_j), computed in row chunks to bound memory."""
        rows = []
        w = self.linear.weight.squeeze(0)
        for start in range(0, u.shape[0], chunk_size):
            block = (u[start:start + chunk_size, None, :] - v[None, :, :]).abs()
            rows.append(block @ w + self.linear.bias)
        return torch.cat(rows, dim=0) if rows else u.new_zeros((0, v.shape[0]))

    def get_config(self) -> dict:
        return {"embedding_dim": self.embedding_dim}


def create_head(name: str, **config) -> nn.Module:
    """Build the head registered in :data:`siamkit.registry.HEADS` as ``name``."""
    if name not in HEADS:
        raise ConfigError(f"head: unknown name {name!r}{did_you_mean(name, HEADS.names(True))}; "
                          f"choose one of {', '.join(HEADS.names())}")
    return HEADS.get(name)(**config)
