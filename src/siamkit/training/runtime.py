"""Run-time pieces of the training loop: device and mixed precision, the running figures of an
epoch, and a Ctrl-C that stops at the next step boundary instead of in the middle of an update.

Mixed precision (Micikevicius et al. 2018, "Mixed Precision Training"): the encoder runs under
``torch.autocast``; the loss always sees float32 embeddings. float16 needs a GradScaler against
gradient underflow; bfloat16 (preferred where the GPU supports it) does not.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from ..errors import ConfigError, SiamkitWarning
from . import distributed
from .steps import loss_counters

log = logging.getLogger("siamkit.training")
_AMP_NAMES = {
    "fp16": torch.float16,
    "float16": torch.float16,
    "bf16": torch.bfloat16,
    "bfloat16": torch.bfloat16,
}


def resolve_device(device: str | torch.device) -> torch.device:
    """The torch device; "auto" is this process's GPU (``LOCAL_RANK`` under torchrun) when CUDA
    is present, else the CPU."""
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device(
                "cuda",
                distributed.local_rank()
                if distributed.is_distributed()
                else torch.cuda.current_device(),
            )
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(
            f"device: cannot read {device!r} as a torch device ('auto', 'cpu', 'cuda', 'cuda:1')"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"device: {device!r} asked for, but CUDA is not available here; use 'auto' or 'cpu'"
        )
    return dev


def resolve_amp(amp: Any, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for full float32. "auto"/True: bfloat16 or float16 on CUDA, off on CPU."""
    if amp is False or amp is None:
        return None
    if amp == "auto" or amp is True:
        if device.type != "cuda":
            if amp is True:
                warnings.warn(
                    "amp=True: mixed precision needs a CUDA device; training in float32",
                    SiamkitWarning,
                    stacklevel=3,
                )
            return None
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    dtype = _AMP_NAMES.get(str(amp).lower())
    if dtype is None:
        raise ConfigError(f"amp: expected 'auto', True, False, 'fp16' or 'bf16', got {amp!r}")
    if device.type != "cuda" and dtype is torch.float16:
        raise ConfigError(
            "amp: float16 mixed precision needs a CUDA device; use 'bf16' or False on the CPU"
        )
    return dtype


@dataclass
class EpochStats:
    """Running figures of the current epoch; stored in mid-epoch checkpoints (``state_dict``), so
    that a resumed epoch reports what an uninterrupted one would."""

    loss_sum: float = 0.0
    samples: int = 0
    batches: int = 0
    elapsed: float = 0.0
    counters: dict[str, int] = field(default_factory=dict)

    def begin(self, loss: Any) -> "EpochStats":
        """Start the clock and the loss's counters (on top of what a resumed epoch had)."""
        self._clock = (time.perf_counter(), self.elapsed)
        self._counters = (dict(self.counters), loss_counters(loss))
        return self

    def add(self, value: float, samples: int, loss: Any) -> None:
        """One step of ``samples`` samples with mean loss ``value``."""
        self.loss_sum += value * samples
        self.samples += samples
        self.batches += 1
        t0, prior = self._clock
        self.elapsed = prior + time.perf_counter() - t0
        before, start = self._counters
        now = loss_counters(loss)
        self.counters = {k: before.get(k, 0) + now[k] - start.get(k, 0) for k in now}

    @property
    def mean_loss(self) -> float | None:
        return self.loss_sum / self.samples if self.samples else None

    def logs(self, epoch: int, lr: float) -> dict[str, Any]:
        """The epoch's history entry, before validation."""
        return {
            "epoch": epoch + 1,
            "train_loss": self.mean_loss,
            "lr": lr,
            "steps": self.batches,
            "samples": self.samples,
            "time_s": self.elapsed,
            "samples_per_s": self.samples / self.elapsed if self.elapsed > 0 else None,
            **self.counters,
        }

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)


class GracefulInterrupt:
    """While active, the first Ctrl-C (SIGINT) only sets ``requested``: the trainer finishes the
    step, saves a checkpoint and raises KeyboardInterrupt. A second Ctrl-C interrupts at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None
        self._installed = False

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        log.warning(
            "interrupted: finishing this step and saving a checkpoint (Ctrl-C again to stop at once)"
        )

    def __enter__(self) -> "GracefulInterrupt":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False
