"""Learning rate per optimizer step: linear warmup, then constant, linear or cosine decay.

The formulas are those of Hugging Face transformers' ``get_constant_schedule_with_warmup``,
``get_linear_schedule_with_warmup`` and ``get_cosine_schedule_with_warmup`` (the cosine of
Loshchilov & Hutter 2017, half a period): the factor at step s (steps done so far) is
``s / warmup`` while ``s < warmup``, then 1, or ``(total - s) / (total - warmup)``, or
``(1 + cos(pi (s - warmup) / (total - warmup))) / 2``. Warmup keeps the first updates of a freshly
initialised head from wrecking pretrained features (Goyal et al. 2017). The factor multiplies each
parameter group's own rate, so a backbone's lower rate and a loss's ``lr_multiplier`` keep their
ratios. Stepped after every optimizer step; its state is in the checkpoint.
"""

from __future__ import annotations

import math
from functools import partial

import torch

STEP_SCHEDULES = ("constant", "linear", "cosine")


def lr_factor(step: int, warmup: int, kind: str, total: int | None) -> float:
    if step < warmup:
        return step / max(1, warmup)
    if kind == "constant":
        return 1.0
    assert total is not None
    progress = (step - warmup) / max(1, total - warmup)
    if kind == "linear":
        return max(0.0, 1.0 - progress)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))


def step_scheduler(optimizer: torch.optim.Optimizer, warmup: int, kind: str,
                   total: int | None) -> torch.optim.lr_scheduler.LambdaLR:
    """The per-step scheduler; ``total``: optimizer steps of the whole run (decays need it)."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, partial(lr_factor, warmup=warmup, kind=kind, total=total))
