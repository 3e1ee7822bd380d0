"""Optimizers and learning-rate schedules by name, or as the user's own objects.

``optimizer``: "adam" (Kingma & Ba 2015), "adamw" (Loshchilov & Hutter 2019), "sgd" (momentum 0.9),
a ``torch.optim.Optimizer`` already built on the model's parameters, or a factory
``params -> Optimizer`` (e.g. ``functools.partial(torch.optim.SGD, lr=0.1)``); ``lr`` and
``weight_decay`` apply to the named ones.

``scheduler``: None; "cosine" (cosine annealing to 0 over the epochs, Loshchilov & Hutter 2017);
"step" (x0.1 every third of the epochs); "plateau" (x0.1 after 2 epochs without improvement of
the monitored metric); a factory ``optimizer -> scheduler``; or a scheduler built on the optimizer
the user passed. Schedulers step once per epoch.

A loss with parameters of its own (class weights, proxies) trains them with the model; a loss with
an ``lr_multiplier`` other than 1 gets a parameter group of its own at ``lr * lr_multiplier``
(Proxy-Anchor's proxies at 100x, Kim et al. 2020), for a named optimizer or a factory alike; so
does a pretrained backbone with a ``backbone_lr`` of its own (the usual lower rate for pretrained
layers). Schedulers scale every group alike, so the ratios stay.
"""

from __future__ import annotations

import warnings
from typing import Any, Iterable

import torch
from torch import nn

from ..errors import ConfigError, SiamkitWarning

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULERS = ("cosine", "step", "plateau")


def parameter_groups(model: nn.Module, loss: nn.Module, backbone: Iterable[nn.Parameter] = (),
                     backbone_multiplier: float = 1.0) -> list[Any]:
    """What the optimizer trains: the model's parameters and the loss's, as one list, or as groups
    when some ask for their own rate: the loss's (``loss.lr_multiplier`` != 1) and the backbone's
    (``backbone``, at ``lr * backbone_multiplier``, when that is not 1). Such a group carries
    ``lr_multiplier``, applied by :func:`build_optimizer`."""
    ours = [p for p in model.parameters() if p.requires_grad]
    theirs = [p for p in loss.parameters() if p.requires_grad]
    multiplier = float(getattr(loss, "lr_multiplier", 1.0))
    inside = {id(p) for p in backbone} if backbone_multiplier != 1.0 else set()
    if not inside and (not theirs or multiplier == 1.0):
        return ours + theirs  # one group, as checkpoints without a loss group have it
    groups: list[dict[str, Any]] = [{"params": [p for p in ours if id(p) not in inside]}]
    if inside:
        groups.append({"params": [p for p in ours if id(p) in inside],
                       "lr_multiplier": backbone_multiplier})
    if theirs:
        groups.append({"params": theirs, "lr_multiplier": multiplier})
    return [g for g in groups if g["params"]]


def build_optimizer(
    spec: Any, params: Iterable[Any], lr: float, weight_decay: float
) -> torch.optim.Optimizer:
    """The optimizer over ``params`` (parameters, or groups from :func:`parameter_groups`)."""
    if isinstance(spec, torch.optim.Optimizer):
        _warn_if_left_out(spec, params)
        return spec  # the user's own, on the parameters the user chose
    params = [p for p in params if not isinstance(p, torch.Tensor) or p.requires_grad]
    optimizer = _new_optimizer(spec, params, lr, weight_decay)
    for group in optimizer.param_groups:
        if "lr_multiplier" in group:
            group["lr"] = group["lr"] * group["lr_multiplier"]
    return optimizer


def _warn_if_left_out(optimizer: torch.optim.Optimizer, params: Iterable[Any]) -> None:
    """Warn when the user's own optimizer leaves out parameters the trainer would train (a loss's
    class weights are easy to forget: they are not the model's)."""
    wanted = [p for item in params for p in (item["params"] if isinstance(item, dict) else [item])]
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    missing = sum(1 for p in wanted if p.requires_grad and id(p) not in held)
    if missing:
        warnings.warn(f"optimizer: {missing} parameter tensor(s) of the model or the loss (class "
                      f"weights, proxies) are not in the optimizer you passed, so they will not "
                      f"train; pass a factory params -> optimizer instead", SiamkitWarning,
                      stacklevel=4)


def _new_optimizer(spec: Any, params: list[Any], lr: float, weight_decay: float
                   ) -> torch.optim.Optimizer:
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
