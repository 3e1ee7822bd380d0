"""Several processes (and machines): the few torch.distributed pieces the trainer needs.

Training runs unchanged under ``torchrun``: when ``WORLD_SIZE`` > 1 in the environment, :func:`setup`
joins the process group from the ``env://`` variables torchrun sets (``MASTER_ADDR``,
``MASTER_PORT``, ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``), with NCCL on GPUs and gloo on CPUs.
With one process every helper here is a no-op, so single-process code pays nothing.

In-batch losses (batch-hard triplets, hard-negative triplets, multiple negatives ranking) must see
the negatives of every rank, so their embeddings are gathered *with gradients*
(:func:`gather_with_grad`, after the all-gather of Chen et al. 2020, SimCLR, and of
sentence-transformers).

Why the gathered loss needs no extra scale under DistributedDataParallel: every rank computes the
same global loss ``L`` on the gathered batch. The backward of the gather *sums* (all-reduces) the
gradients that the ranks send to each rank's slice, so rank r's own embeddings receive
``W * dL/de_r`` (W = world size) and its parameter gradient is ``W * dL/de_r * de_r/dθ``. DDP then
*averages* over ranks: ``(1/W) * Σ_r W * dL/de_r * de_r/dθ = Σ_r dL/de_r * de_r/dθ = dL/dθ``, the
gradient of one process on the whole batch. (A gather whose backward kept only the local slice of
the local gradient would give ``dL/dθ / W`` and need the loss scaled by W.) Losses on local rows
(pairs, triplets) need nothing either: DDP's average of per-rank means over equal shards is the
mean over the combined batch. ``tests/training/test_distributed_training.py`` checks both with 2
processes.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor


def is_distributed() -> bool:
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0")) if is_distributed() else 0


def is_main_process() -> bool:
    """Rank 0 writes checkpoints, history and progress; the other ranks stay quiet."""
    return rank() == 0


def setup(timeout_s: float = 1800.0) -> bool:
    """Join the process group described by the environment when ``WORLD_SIZE`` > 1.

    Returns True when this call created the group (the caller should :func:`cleanup` it), False
    when there is nothing to do (one process, or a group the user already initialised).
    """
    if (
        int(os.environ.get("WORLD_SIZE", "1")) <= 1
        or not dist.is_available()
        or dist.is_initialized()
    ):
        return False
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend, init_method="env://", timeout=timedelta(seconds=timeout_s))
    return True


def cleanup() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def gather_with_grad(x: Tensor) -> Tensor:
    """Concatenate ``x [B_r, ...]`` of every rank along dim 0, in rank order, keeping the gradient
    path to each rank's own rows. Ranks may hold different ``B_r`` (rows are padded for the
    collective, then trimmed). One process: ``x`` itself."""
    if not is_distributed():
        return x
    sizes = _all_sizes(x)
    biggest = max(sizes)
    if x.shape[0] < biggest:
        pad = x.new_zeros((biggest - x.shape[0], *x.shape[1:]))
        x = torch.cat([x, pad])
    parts = _AllGather.apply(x)
    return torch.cat([part[:n] for part, n in zip(parts, sizes)])


class _AllGather(torch.autograd.Function):
    """All-gather whose backward sums, over ranks, the gradients sent to each rank's slice (the
    semantics of ``torch.distributed.nn.functional.all_gather``, deprecated in recent torch)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> tuple[Tensor, ...]:
        parts = [torch.empty_like(x) for _ in range(world_size())]
        dist.all_gather(parts, x.contiguous())
        return tuple(parts)

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> Tensor:
        stacked = torch.stack(grads).contiguous()
        dist.all_reduce(stacked, op=dist.ReduceOp.SUM)
        return stacked[rank()]


def gather(x: Tensor) -> Tensor:
    """Like :func:`gather_with_grad` without a gradient path (labels, targets)."""
    if not is_distributed():
        return x
    sizes = _all_sizes(x)
    biggest = max(sizes)
    x = x.detach()
    if x.shape[0] < biggest:
        x = torch.cat([x, x.new_zeros((biggest - x.shape[0], *x.shape[1:]))])
    parts = [torch.empty_like(x) for _ in sizes]
    dist.all_gather(parts, x.contiguous())
    return torch.cat([part[:n] for part, n in zip(parts, sizes)])


def _all_sizes(x: Tensor) -> list[int]:
    size = torch.tensor([x.shape[0]], device=x.device)
    sizes = [torch.zeros_like(size) for _ in range(world_size())]
    dist.all_gather(sizes, size)
    return [int(s.item()) for s in sizes]


def all_reduce_sum(values: Tensor) -> Tensor:
    """Sum of ``values`` over ranks (a copy; the input is left alone)."""
    out = values.detach().clone()
    if is_distributed():
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return out


def sum_over_ranks(values: list[float], device: torch.device) -> list[float]:
    """``values`` summed over ranks, in one float64 all-reduce on the device the process group
    talks through (NCCL: the GPU; gloo: the CPU). One process: the values themselves."""
    if not is_distributed():
        return [float(v) for v in values]
    where = device if device.type == "cuda" else torch.device("cpu")
    return all_reduce_sum(torch.tensor(values, dtype=torch.float64, device=where)).cpu().tolist()


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """``obj`` of rank ``src`` on every rank (small JSON-like objects such as validation logs)."""
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]
