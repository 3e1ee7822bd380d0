"""Optimizers and learning-rate schedules by name, or as the user's own objects.

``optimizer``: "adam" (Kingma & Ba 2015), "adamw" (Loshchilov & Hutter 2019), "sgd" (momentum 0.9),
a ``torch.optim.Optimizer`` already built on the model's parameters, or a factory
``params -> Optimizer`` (e.g. ``functools.partial(torch.optim.SGD, lr=0.1)``); ``lr`` and
``weight_decay`` apply to the named ones.

``scheduler``: None; "cosine" (cosine annealing to 0 over the epochs, Loshchilov & Hutter 2017);
"step" (x0.1 every third of the epochs); "plateau" (x0.1 after 2 epochs without improvement of
the monitored metric); a factory ``optimizer -> scheduler``; or a scheduler built on the optimizer
the user passed. Schedulers step once per epoch.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch
from torch import nn

from ..errors import ConfigError

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULERS = ("cosine", "step", "plateau")


def build_optimizer(
    spec: Any, params: Iterable[nn.Parameter], lr: float, weight_decay: float
) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    if isinstance(spec, torch.optim.Optimizer):
        return spec
    if isinstance(spec, str):
        name = spec.lower()
        if name == "adam":
            return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        if name == "adamw":
            return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
        if name == "sgd":
            return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
        raise ConfigError(
            f"optimizer: unknown name {spec!r}; choose one of {', '.join(OPTIMIZERS)}, "
            "or pass a torch optimizer or a factory params -> optimizer"
        )
    if callable(spec):
        opt = spec(params)
        if not isinstance(opt, torch.optim.Optimizer):
            raise ConfigError(
                f"optimizer: the factory returned a {type(opt).__name__}, not a torch optimizer"
            )
        return opt
    raise ConfigError(
        f"optimizer: expected a name, a torch optimizer or a factory, got {type(spec).__name__}"
    )


def build_scheduler(spec: Any, optimizer: torch.optim.Optimizer, epochs: int, mode: str) -> Any:
    if spec is None:
        return None
    if isinstance(spec, str):
        name = spec.lower()
        if name == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
        if name == "step":
            return torch.optim.lr_scheduler.StepLR(
                optimizer, step_size=max(1, epochs // 3), gamma=0.1
            )
        if name == "plateau":
            return torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode=mode, factor=0.1, patience=2
            )
        raise ConfigError(
            f"scheduler: unknown name {spec!r}; choose one of {', '.join(SCHEDULERS)}, "
            "or pass a factory optimizer -> scheduler"
        )
    sched = spec(optimizer) if callable(spec) and not hasattr(spec, "step") else spec
    if not hasattr(sched, "step") or not hasattr(sched, "state_dict"):
        raise ConfigError(
            f"scheduler: expected a name, a factory or a torch scheduler, got {type(sched).__name__}"
        )
    if getattr(sched, "optimizer", optimizer) is not optimizer:
        raise ConfigError(
            "scheduler: it was built on another optimizer than the one the trainer uses; "
            "pass a factory optimizer -> scheduler instead"
        )
    return sched


def step_scheduler(scheduler: Any, metric: float | None) -> None:
    """One epoch step; ReduceLROnPlateau gets the monitored metric (skipped when it is missing)."""
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        if metric is not None:
            scheduler.step(metric)
        return
    scheduler.step()


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
