"""Cross-batch memory, XBM (Wang, Zhang, Huang & Scott, CVPR 2020): more pairs than a batch holds.

"Cross-Batch Memory for Embedding Learning", arXiv:1912.06798. Embeddings drift slowly once a
model has warmed up, so those of recent batches are nearly what the current model would give. The
wrapper keeps a FIFO queue of the last ``memory_size`` embeddings (detached: no gradient flows
into the past) with their labels, and computes the inner loss with the batch's samples as anchors
and the whole queue, the current batch included, as positives and negatives; an anchor is never
paired with its own copy. This is pytorch-metric-learning's ``CrossBatchMemory`` (the same values
and gradients, see the tests). For the first ``start_after`` training steps the plain in-batch loss
is used and nothing is queued (the paper starts the memory after a warm-up); in eval mode
(validation) the in-batch loss is used and the queue is left alone.

The queue is a set of buffers (``memory``, ``memory_labels``, ``position``, ``filled``,
``steps``), so ``loss.state_dict()`` holds it and a checkpoint resumes it exactly.

Under ``torchrun`` the Trainer hands labelled losses the embeddings of every rank, gathered
(:mod:`siamkit.training.steps`), so each rank queues the same global batch and every rank holds
the same, global queue: the negatives of all ranks, no further communication, and the
checkpoint rank 0 writes is every rank's.

Inner losses: any loss with ``reference_loss(embeddings, labels, refs, ref_labels, same)``:
:class:`SupConLoss`, :class:`BatchHardTripletLoss`, :class:`BatchSemiHardTripletLoss`. Labels:
equal class ids = same (1 = same).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ..errors import ConfigError, DataError
from ..geometry import check_labelled
from ..registry import LOSSES
from ._base import SiamkitLoss

QUEUE = ("memory", "memory_labels")


def _count(value: Any, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ConfigError(f"{name}: must be an int >= {least}, got {value!r}")
    return value


@LOSSES.register("cross_batch_memory", input_kind="labelled",
                 inputs="embeddings [B, D], labels [B]; keeps a queue of the last memory_size",
                 paper="Wang et al. 2020")
class CrossBatchMemory(SiamkitLoss):
    """An in-batch loss against a queue of recent embeddings (see the module docstring).

    Inputs: ``embeddings`` float ``[B, D]`` and ``labels`` ``[B]`` integer class ids (equal id =
    same class, label 1 = same). ``loss``: a module with ``reference_loss`` or the registered name
    of one (``"supcon"``, ``"batch_hard"``, ``"batch_semihard"``; built with ``loss_args``).
    ``memory_size``: embeddings kept (at least a batch). ``start_after``: training steps of plain
    in-batch loss before the queue starts. ``input_kind = "labelled"``. Paper: Wang et al. (2020).
    """

    input_kind = "labelled"

    def __init__(self, loss: nn.Module | str = "supcon", memory_size: int = 1024,
                 start_after: int = 0, loss_args: dict[str, Any] | None = None) -> None:
        super().__init__()
        if isinstance(loss, str):
            loss = LOSSES.get(loss, "loss cross_batch_memory: loss:")(**(loss_args or {}))
        elif loss_args:
            raise ConfigError("cross_batch_memory: loss_args build a loss given by name; with a "
                              "loss module, set them on it")
        if not callable(getattr(loss, "reference_loss", None)):
            takes = [n for n in LOSSES.names()
                     if callable(getattr(LOSSES.get(n), "reference_loss", None))]
            raise ConfigError(f"cross_batch_memory: loss {type(loss).__name__} cannot score a "
                              f"batch against a memory (no reference_loss); use one of "
                              f"{', '.join(takes)}")
        self.loss = loss
        self.memory_size = _count(memory_size, "memory_size", 2)
        self.start_after = _count(start_after, "start_after", 0)
        # sized on the first batch (or by a checkpoint): the embedding size need not be given
        self.register_buffer("memory", torch.zeros(0, 0))
        self.register_buffer("memory_labels", torch.zeros(0, dtype=torch.long))
        for name in ("position", "filled", "steps"):
            self.register_buffer(name, torch.zeros((), dtype=torch.long))

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        labels = check_labelled(embeddings, labels)
        if not self.training:
            return self.loss(embeddings, labels)
        self.steps += 1
        if int(self.steps) <= self.start_after:
            return self.loss(embeddings, labels)
        slots = self._enqueue(embeddings.detach(), labels)
        n = int(self.filled)
        # a copy: the next step writes into the buffers, and backward may still need these
        refs, ref_labels = self.memory[:n].clone(), self.memory_labels[:n].clone()
        same = torch.zeros(len(labels), n, dtype=torch.bool, device=labels.device)
        same[torch.arange(len(labels), device=labels.device), slots] = True
        return self.loss.reference_loss(embeddings, labels, refs.to(embeddings.dtype), ref_labels,
                                        same)

    def _enqueue(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        """Write the batch over the oldest entries; return the slots it took."""
        b, d = embeddings.shape
        if b > self.memory_size:
            raise DataError(f"memory_size={self.memory_size} is smaller than a batch of {b}; the "
                            f"queue must hold at least the current batch")
        if self.memory.shape != (self.memory_size, d):
            if int(self.filled):
                raise DataError(f"embeddings: dimension {d} does not match the queue's "
                                f"{self.memory.shape[1]}")
            self.memory = embeddings.new_zeros(self.memory_size, d)
            self.memory_labels = labels.new_zeros(self.memory_size)
        slots = (self.position + torch.arange(b, device=labels.device)) % self.memory_size
        self.memory[slots] = embeddings.to(self.memory.dtype)
        self.memory_labels[slots] = labels.to(self.memory_labels.dtype)
        self.position.copy_((self.position + b) % self.memory_size)
        self.filled.clamp_(max=self.memory_size - b).add_(b)
        return slots

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name in QUEUE:  # a checkpoint's queue has its own size: take it as it is
            saved = state_dict.get(prefix + name)
            if isinstance(saved, Tensor):
                setattr(self, name, torch.empty_like(saved, device=getattr(self, name).device))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return f"memory_size={self.memory_size}, start_after={self.start_after}"
