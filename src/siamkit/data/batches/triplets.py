"""Triplets (anchor, positive, negative) from labelled samples: random, or hard by a model.

Schroff, Kalenichenko & Philbin (2015), "FaceNet: a unified embedding for face recognition and
clustering": a triplet is an anchor, a positive of its class and a negative of another class.
:func:`random_triplet_indices` draws them uniformly. :func:`hard_triplet_indices` picks, for each
anchor, the positive it finds least similar and the negative it finds most similar, judged by given
embeddings (``strategy="hard"``), or the most similar negative that is still less similar than the
positive (``"semi-hard"``, FaceNet's choice, which avoids collapse early in training). Exhaustive
mining over N samples costs N^2 comparisons, so it runs inside random pools of ``pool_size``
samples; an anchor with no positive (or negative) in its pool gets a random one instead, and the
count of such anchors is in the returned ``info``. Mining never tracks gradients.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor

from ...distances import get_distance
from ...errors import ConfigError, DataError
from ...geometry import hardest_negative, hardest_positive, label_masks, semihard_negative
from ..containers import LabelledData
from ..seeding import SeedLike, as_rng
from .pairs import ClassIndex

Triplets = tuple[Tensor, Tensor, Tensor]


def random_triplet_indices(labels: Tensor | np.ndarray, seed: SeedLike = 0, anchors: Any = None,
                           *, classes: list[str] | None = None, what: str = "labels") -> Triplets:
    """``(anchor, positive, negative)`` int64 indices; one triplet per anchor (default: all)."""
    index = ClassIndex(labels, what, classes)
    a = index.usable_anchors(anchors)
    rng = as_rng(seed)
    return (torch.from_numpy(a.copy()), torch.from_numpy(index.positives(a, rng)),
            torch.from_numpy(index.negatives(a, rng)))


@torch.no_grad()
def embed_in_batches(embed: Callable[[Any], Tensor], x: Tensor | list[str],
                     batch_size: int = 256) -> Tensor:
    """``embed`` applied to ``x`` in batches, without gradients, on the CPU. A model with ``embed``
    and ``encode`` (a :class:`SiameseNetwork`) runs its own ``encode``; another module with
    ``.embed`` is used through it, and any module is put in eval mode meanwhile."""
    if callable(getattr(embed, "encode", None)) and hasattr(embed, "embed"):
        return embed.encode(x, batch_size=batch_size)
    fn = getattr(embed, "embed", embed)
    module = embed if isinstance(embed, torch.nn.Module) else None
    was_training = module.training if module is not None else False
    if module is not None:
        module.eval()
    try:
        parts = [fn(x[i:i + batch_size]).detach().float().cpu()
                 for i in range(0, len(x), batch_size)]
    finally:
        if module is not None and was_training:
            module.train()
    return torch.cat(parts)


@torch.no_grad()
def hard_triplet_indices(embeddings: Tensor, labels: Tensor | np.ndarray, *,
                         strategy: str = "semi-hard", distance: str = "euclidean",
                         pool_size: int = 2048, seed: SeedLike = 0) -> tuple[Triplets, dict]:
    """Hard (or semi-hard) triplets for every sample; returns ``((a, p, n), info)``."""
    if strategy not in ("hard", "semi-hard"):
        raise ConfigError(f"strategy: expected 'hard' or 'semi-hard', got {strategy!r}")
    emb = torch.as_tensor(embeddings).float()
    index = ClassIndex(labels, "labels")
    index.require_negatives()
    if emb.dim() != 2 or len(emb) != len(index.dense):
        raise DataError(f"embeddings: expected [{len(index.dense)}, D], got {tuple(emb.shape)}")
    index.require_positives(np.arange(len(emb)))
    rng = as_rng(seed)
    dist = get_distance(distance)
    y = torch.from_numpy(index.dense)
    perm = torch.from_numpy(rng.permutation(len(emb)))
    pos, neg = torch.empty(len(emb), dtype=torch.long), torch.empty(len(emb), dtype=torch.long)
    for pool in perm.split(max(2, int(pool_size))):
        # Negated scores: smaller = closer, whatever the distance's polarity.
        D = dist.to_score(dist.pairwise(emb[pool], emb[pool])).neg_()
        same, diff = label_masks(y[pool])
        has_p = same.any(1)
        p_at = hardest_positive(D, same)                                  # least similar positive
        if strategy == "semi-hard":  # anchors without a positive: any negative is "farther"
            d_ap = torch.where(has_p, D.gather(1, p_at[:, None])[:, 0], float("-inf"))
            n_at = semihard_negative(D, d_ap, diff, fallback="closest")
        else:
            n_at = hardest_negative(D, diff)                              # most similar negative
        pos[pool] = torch.where(has_p, pool[p_at], -1)
        neg[pool] = torch.where(diff.any(1), pool[n_at], -1)
    missing_p, missing_n = (pos < 0).nonzero().flatten(), (neg < 0).nonzero().flatten()
    pos[missing_p] = torch.from_numpy(index.positives(missing_p.numpy(), rng))
    neg[missing_n] = torch.from_numpy(index.negatives(missing_n.numpy(), rng))
    info = {"random_positives": len(missing_p), "random_negatives": len(missing_n)}
    return (torch.arange(len(emb)), pos, neg), info


def mine_triplets(model: Any, data: LabelledData, *, strategy: str = "semi-hard",
                  distance: str | None = None, pool_size: int = 2048, batch_size: int = 256,
                  seed: SeedLike = 0) -> tuple[Triplets, dict]:
    """Hard triplets of ``data`` by the embeddings of ``model`` (a module with ``embed`` or any
    function from a batch of ``data.x`` to ``[B, D]``); distance defaults to the model's own."""
    emb = embed_in_batches(model, data.x, batch_size)
    distance = distance or getattr(model, "distance_name", None) or "euclidean"
    return hard_triplet_indices(emb, data.y, strategy=strategy, distance=distance,
                                pool_size=pool_size, seed=seed)
