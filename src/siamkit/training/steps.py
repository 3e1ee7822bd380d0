"""From a batch to a loss: what each batch format feeds to each kind of loss.

A loader yields tuples in one of six *batch kinds* (``"pairs"``, ``"scored_pairs"``,
``"triplets"``, ``"labelled"``, ``"duplicates"``, ``"episodes"``; see :mod:`siamkit.data`); a loss says what it
consumes with its ``input_kind``. The model turns every input of a batch into embeddings through its
one encoder (:func:`embed_batch`, under mixed precision when enabled); the embeddings are then made
float32 and shaped into the loss's inputs (:func:`loss_inputs`):

=================  ====================  ===============================================
batch kind         loss input_kind       the loss is called with
=================  ====================  ===============================================
pairs              pair_distances        ``model.distance_fn.paired(e1, e2), y``
pairs              pair_logits           ``model.head(e1, e2), y``
pairs              scored_pairs          ``e1, e2, y`` (y in {0, 1} as the target)
scored_pairs       scored_pairs          ``e1, e2, target``
triplets           triplets              ``ea, ep, en``
labelled           labelled              ``gather(e), gather(labels)``
duplicates         duplicates            ``gather(v1), gather(v2)``
episodes           episodes              ``e, labels, query`` (each rank its own episodes)
=================  ====================  ===============================================

A loss with a ``cached_backward(model, inputs, amp_dtype)`` method (GradCache,
:class:`siamkit.losses.CachedMultipleNegativesRankingLoss`) embeds the batch itself, in chunks,
and runs its own backward; the step returns its loss value without a graph and the trainer skips
its backward (:func:`owns_backward`).

Labels ``y`` are 1 = same, 0 = different. ``gather`` concatenates the embeddings of every rank with
their gradients when training runs in several processes, so that in-batch losses see global
negatives (see :mod:`siamkit.training.distributed`); with one process it returns its input.
"""

from __future__ import annotations

import contextlib
from typing import Any, Sequence

import torch
from torch import Tensor, nn

from ..batch_kinds import ACCEPTS, BATCH_FORMATS, DEFAULT_BATCH_KIND
from ..errors import ConfigError, DataError
from . import distributed

_ARITY = {"pairs": 3, "scored_pairs": 3, "triplets": 3, "labelled": 2, "duplicates": 2,
          "episodes": 3}


def input_kind_of(loss: Any) -> str:
    kind = getattr(loss, "input_kind", None)
    if kind not in DEFAULT_BATCH_KIND:
        raise ConfigError(
            f"loss {type(loss).__name__}: needs an input_kind attribute, one of "
            f"{', '.join(DEFAULT_BATCH_KIND)}; got {kind!r}"
        )
    return kind


def check_combination(loss: Any, batch_kind: str, model: Any, where: str = "train_loader") -> None:
    """Raise a ConfigError naming what fits when ``loss`` cannot train on ``batch_kind`` batches."""
    kind = input_kind_of(loss)
    if batch_kind not in ACCEPTS:
        raise ConfigError(
            f"{where}: unknown batch kind {batch_kind!r}; expected one of {', '.join(ACCEPTS)}"
        )
    name = type(loss).__name__
    if kind not in ACCEPTS[batch_kind]:
        fitting = [b for b, kinds in ACCEPTS.items() if kind in kinds]
        raise ConfigError(
            f"{where}: {name} (input_kind {kind!r}) cannot train on {batch_kind!r} batches "
            f"{BATCH_FORMATS[batch_kind]}; it needs {' or '.join(repr(b) for b in fitting)} batches, "
            f"and {batch_kind!r} batches suit losses with input_kind {', '.join(ACCEPTS[batch_kind])}"
        )
    if kind == "pair_logits" and getattr(model, "head", None) is None:
        raise ConfigError(
            f"loss: {name} takes logits from a head, but the model has none; "
            "build it with SiameseNetwork(encoder, head='l1_sigmoid')"
        )


def split_batch(
    batch: Any, batch_kind: str, index: int | str = "?"
) -> tuple[list[Any], list[Tensor]]:
    """``(inputs, targets)`` of a batch: the inputs go through the encoder, the targets do not."""
    if not isinstance(batch, (tuple, list)) or len(batch) != _ARITY[batch_kind]:
        got = (
            f"a tuple of {len(batch)} items"
            if isinstance(batch, (tuple, list))
            else type(batch).__name__
        )
        raise DataError(
            f"batch {index}: a {batch_kind!r} batch is {BATCH_FORMATS[batch_kind]}, got {got}"
        )
    items = list(batch)
    if batch_kind in ("pairs", "scored_pairs"):
        return items[:2], [items[2]]
    if batch_kind in ("labelled", "episodes"):
        return items[:1], items[1:]
    return items, []


def to_device(batch: Sequence[Any], device: torch.device) -> tuple[Any, ...]:
    """Tensors moved to ``device``; raw inputs (lists of paths or texts) left for the model's adapter."""
    return tuple(x.to(device, non_blocking=True) if isinstance(x, Tensor) else x for x in batch)


def batch_size(batch: Sequence[Any]) -> int:
    first = batch[0]
    return int(first.shape[0]) if isinstance(first, Tensor) else len(first)


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def embed_batch(
    model: nn.Module, inputs: list[Any], amp_dtype: torch.dtype | None = None
) -> list[Tensor]:
    """Float32 embeddings of each input of a batch, all through the model's one encoder."""
    if amp_dtype is None:  # no device lookup (a walk over the modules) on every step
        return [e.float() for e in model(*inputs)]
    device = next(model.parameters()).device
    with autocast(device, amp_dtype):
        embeddings = model(*inputs)
    return [e.float() for e in embeddings]


def loss_inputs(
    model: nn.Module,
    input_kind: str,
    embeddings: list[Tensor],
    targets: list[Tensor],
    gather: bool = False,
) -> tuple[Tensor, ...]:
    """The arguments of the loss (see the table above). ``gather``: across ranks, for in-batch losses."""
    targets = [t.to(embeddings[0].device) for t in targets]
    if input_kind == "pair_distances":
        return model.distance_fn.paired(*embeddings), targets[0]
    if input_kind == "pair_logits":
        return model.head(*embeddings), targets[0]
    if input_kind in ("labelled", "duplicates") and gather:
        return (
            *(distributed.gather_with_grad(e) for e in embeddings),
            *(distributed.gather(t) for t in targets),
        )
    return (*embeddings, *targets)


def owns_backward(loss: Any) -> bool:
    """Whether ``loss`` embeds its batch and runs its backward itself (GradCache)."""
    return callable(getattr(loss, "cached_backward", None))


class TrainStep(nn.Module):
    """Model + loss as one module whose forward maps a batch to the loss value.

    Wrapping this (not the bare model) in DistributedDataParallel keeps everything that touches
    parameters (encoder, head, a loss with parameters) inside DDP's forward, where it belongs.
    """

    def __init__(
        self,
        model: nn.Module,
        loss: nn.Module,
        batch_kind: str,
        amp_dtype: torch.dtype | None = None,
        gather: bool = False,
    ) -> None:
        super().__init__()
        self.model, self.loss = model, loss
        self.batch_kind, self.input_kind = batch_kind, input_kind_of(loss)
        self.amp_dtype, self.gather = amp_dtype, gather

    def forward(self, *batch: Any) -> Tensor:
        inputs, targets = split_batch(batch, self.batch_kind)
        if owns_backward(self.loss) and self.batch_kind == "duplicates":
            return self.loss.cached_backward(self.model, inputs, self.amp_dtype)
        embeddings = embed_batch(self.model, inputs, self.amp_dtype)
        value = self.loss(
            *loss_inputs(self.model, self.input_kind, embeddings, targets, self.gather)
        )
        if not isinstance(value, Tensor) or value.dim() != 0:
            got = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            raise ConfigError(
                f"loss: {type(self.loss).__name__} returned {got}, not a scalar tensor "
                "(use a mean or sum reduction)"
            )
        return value


def training_step(
    model: nn.Module,
    loss: nn.Module,
    batch_kind: str,
    amp_dtype: torch.dtype | None,
    world_size: int,
    device: torch.device,
) -> nn.Module:
    """The :class:`TrainStep` of a run, in DistributedDataParallel when several processes train."""
    step = TrainStep(model, loss, batch_kind, amp_dtype, gather=world_size > 1)
    if world_size <= 1:
        return step
    if owns_backward(loss):
        raise ConfigError(f"loss {type(loss).__name__}: its cached backward runs one backward per "
                          f"chunk, which DistributedDataParallel cannot synchronise; under "
                          f"torchrun use multiple_negatives_ranking (the ranks' embeddings are "
                          f"gathered, so the batch is already world_size times larger)")
    # Losses on embeddings leave a model's head without gradients; DDP must be told, or it stops
    # at the next step over gradients that never came.
    unused = getattr(model, "head", None) is not None and step.input_kind != "pair_logits"
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(step, device_ids=ids, find_unused_parameters=unused)


def loss_counters(loss: Any) -> dict[str, int]:
    """Training-time counters a loss exposes (``degenerate_batches``: batches it could not learn from)."""
    if callable(getattr(loss, "counters", None)):
        return {str(k): int(v) for k, v in loss.counters().items()}
    found = {}
    for name in ("degenerate_batches",):
        value = getattr(loss, name, None)
        if isinstance(value, int):
            found[name] = value
    return found
