"""Validation after each epoch: the loss, computed as in training, and a metric of the embeddings.

The model runs in eval mode without gradients. ``val_loss`` is the sample-weighted mean of the loss
over the validation batches (for in-batch losses it depends on how the batches are made). The metric
depends on the batch kind of the validation data (labels: 1 = same, 0 = different; scores from
``model.score_embeddings``, higher = more similar):

* ``pairs``: ``val_roc_auc``, ``val_eer`` (equal error rate) and ``val_accuracy`` (the best accuracy
  over all thresholds, an optimistic figure: the threshold is chosen on the same pairs), from
  :func:`siamkit.evaluation.verification_metrics`;
* ``triplets``: the same on the pairs (anchor, positive) = 1 and (anchor, negative) = 0, and
  ``val_triplet_accuracy``, the fraction of triplets where the positive scores above the negative;
* ``scored_pairs``: ``val_spearman``, Spearman's rank correlation of scores with the targets;
* ``labelled``: ``val_recall_at_1``, the fraction of samples whose nearest other sample (by model
  score) has the same label, leaving out samples whose class appears once;
* ``duplicates``: ``val_recall_at_1``, the fraction of rows i of ``x1`` whose best-scoring row of all
  ``x2`` of the validation set is row i;
* ``episodes``: ``val_episode_accuracy``, the fraction of queries whose best-scoring class
  prototype (the mean of the episode's support embeddings of a class) is their own class.

A metric that cannot be computed (one class only, constant scores) is None, with a warning.
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Iterable

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import DataError, SiamkitWarning
from . import distributed
from .steps import batch_size, embed_batch, input_kind_of, loss_inputs, split_batch, to_device

METRICS = {
    "pairs": ("val_loss", "val_roc_auc", "val_eer", "val_accuracy"),
    "triplets": ("val_loss", "val_roc_auc", "val_eer", "val_accuracy", "val_triplet_accuracy"),
    "scored_pairs": ("val_loss", "val_spearman"),
    "labelled": ("val_loss", "val_recall_at_1"),
    "duplicates": ("val_loss", "val_recall_at_1"),
    "episodes": ("val_loss", "val_episode_accuracy"),
}


def metric_names(batch_kind: str | None) -> tuple[str, ...]:
    """Every key :func:`validate` returns for ``batch_kind`` validation data (none without data)."""
    return METRICS.get(batch_kind, ()) if batch_kind else ()


def default_mode(metric: str) -> str:
    """The better direction of a figure: "min" for losses and error rates, "max" for the rest
    (AUC, accuracy, recall, correlation)."""
    return "min" if ("loss" in metric or "eer" in metric) else "max"


@torch.no_grad()
def validate(
    model: nn.Module,
    loss: nn.Module,
    loader: Iterable,
    batch_kind: str,
    amp_dtype: torch.dtype | None = None,
) -> dict[str, Any]:
    """``{"val_loss": ..., <metrics>}`` of ``model`` on ``loader`` (see the module docstring)."""
    was_training = model.training
    model.eval()
    device, kind = next(model.parameters()).device, input_kind_of(loss)
    total, count, parts = 0.0, 0, []
    try:
        for i, batch in enumerate(loader):
            batch = to_device(batch, device)
            inputs, targets = split_batch(batch, batch_kind, f"{i} of val_loader")
            emb = embed_batch(model, inputs, amp_dtype)
            n = batch_size(batch)
            total += float(loss(*loss_inputs(model, kind, emb, targets))) * n
            count += n
            parts.append(_collect(model, batch_kind, emb, targets))
    finally:
        model.train(was_training)
    if count == 0:
        raise DataError("val_loader: yielded no batches")
    cols = [torch.cat(col) for col in zip(*parts)]
    return {"val_loss": total / count, **_metrics(model, batch_kind, cols)}


def validate_on_rank_0(
    model: nn.Module,
    loss: nn.Module,
    loader: Iterable,
    batch_kind: str,
    amp_dtype: torch.dtype | None = None,
) -> dict[str, Any]:
    """:func:`validate` on rank 0 (the whole validation set, timed), its figures sent to every
    rank, so that all of them take the same decisions (best epoch, early stopping, schedule)."""
    logs = None
    if distributed.rank() == 0:
        t0 = time.perf_counter()
        logs = validate(model, loss, loader, batch_kind, amp_dtype)
        logs["val_time_s"] = time.perf_counter() - t0
    return distributed.broadcast_object(logs)


def _collect(
    model: nn.Module, batch_kind: str, emb: list[Tensor], targets: list[Tensor]
) -> tuple[Tensor, ...]:
    """What the metric needs from one batch, on the CPU."""
    if batch_kind in ("pairs", "scored_pairs"):
        return model.score_embeddings(*emb).float().cpu(), targets[0].float().cpu()
    if batch_kind == "triplets":
        a, p, n = emb
        return model.score_embeddings(a, p).float().cpu(), model.score_embeddings(
            a, n
        ).float().cpu()
    if batch_kind == "labelled":
        return emb[0].cpu(), targets[0].cpu()
    if batch_kind == "episodes":
        return (_episode_hits(model, emb[0], *targets),)
    return emb[0].cpu(), emb[1].cpu()


def _episode_hits(model: nn.Module, emb: Tensor, labels: Tensor, query: Tensor) -> Tensor:
    """Whether each query's best-scoring prototype is its own class (the model's scores)."""
    from ..losses.prototypical import prototypes

    query = query.to(torch.bool)
    classes, centres = prototypes(emb[~query], labels[~query])
    best = model.pairwise_scores(emb[query], centres).argmax(1)
    return (classes[best] == labels[query]).cpu()


def _metrics(model: nn.Module, batch_kind: str, cols: list[Tensor]) -> dict[str, Any]:
    if batch_kind == "pairs":
        return pair_metrics(*cols)
    if batch_kind == "triplets":
        pos, neg = cols
        out = pair_metrics(
            torch.cat([pos, neg]), torch.cat([torch.ones_like(pos), torch.zeros_like(neg)])
        )
        return {**out, "val_triplet_accuracy": float((pos > neg).float().mean())}
    if batch_kind == "scored_pairs":
        return {"val_spearman": _spearman(*cols)}
    if batch_kind == "episodes":
        return {"val_episode_accuracy": float(cols[0].float().mean())}
    if batch_kind == "labelled":
        emb, labels = cols
        return {"val_recall_at_1": _recall_at_1(model, emb, emb, labels, labels, exclude_self=True)}
    v1, v2 = cols
    ids = torch.arange(v1.shape[0])
    return {"val_recall_at_1": _recall_at_1(model, v1, v2, ids, ids, exclude_self=False)}


def pair_metrics(scores: Tensor, labels: Tensor) -> dict[str, Any]:
    """``val_roc_auc``, ``val_eer``, ``val_accuracy`` of scores against labels (1 = same)."""
    y = labels.numpy()
    if len(np.unique(y)) < 2:
        _warn("validation pairs hold one class only; ROC AUC, EER and accuracy are None")
        return {"val_roc_auc": None, "val_eer": None, "val_accuracy": None}
    from ..evaluation import verification_metrics

    try:
        m = verification_metrics(scores.numpy(), y)
    except DataError as exc:
        _warn(f"validation metrics not computed: {exc}")
        return {"val_roc_auc": None, "val_eer": None, "val_accuracy": None}
    return {"val_roc_auc": m["roc_auc"], "val_eer": m["eer"], "val_accuracy": m["best_accuracy"]}


def _spearman(scores: Tensor, targets: Tensor) -> float | None:
    from scipy.stats import spearmanr

    if scores.unique().numel() < 2 or targets.unique().numel() < 2:
        _warn("validation scores or targets are constant; Spearman correlation is None")
        return None
    return float(spearmanr(scores.numpy(), targets.numpy()).statistic)


def _recall_at_1(
    model: nn.Module,
    queries: Tensor,
    refs: Tensor,
    q_labels: Tensor,
    r_labels: Tensor,
    exclude_self: bool,
    chunk: int = 512,
) -> float | None:
    device = next(model.parameters()).device
    refs_d = refs.to(device)
    valid = torch.ones(len(q_labels), dtype=torch.bool)
    if exclude_self:  # a sample alone in its class has no right answer among the others
        _, inverse, counts = torch.unique(r_labels, return_inverse=True, return_counts=True)
        valid = counts[inverse] > 1
    hits = torch.zeros(len(q_labels), dtype=torch.bool)
    for start in range(0, len(queries), chunk):
        scores = (
            model.pairwise_scores(queries[start : start + chunk].to(device), refs_d).float().cpu()
        )
        if exclude_self:
            rows = torch.arange(scores.shape[0])
            scores[rows, rows + start] = float("-inf")
        hits[start : start + chunk] = r_labels[scores.argmax(1)] == q_labels[start : start + chunk]
    if not valid.any():
        _warn("no validation sample has another of its class; recall@1 is None")
        return None
    return float(hits[valid].float().mean())


def _warn(message: str) -> None:
    warnings.warn(message, SiamkitWarning, stacklevel=3)
