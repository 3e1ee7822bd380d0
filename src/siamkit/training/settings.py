"""The Trainer's settings in four small groups, and the flat keywords that fill them.

    sk.Trainer(model, loss, epochs=20, optimization=Optimization(lr=1e-2, scheduler="cosine"))
    sk.Trainer(model, loss, epochs=20, lr=1e-2, scheduler="cosine")          # the same

Each group says one thing about a run: :class:`Optimization` how the weights move,
:class:`Monitoring` which epoch is best and when to stop, :class:`Checkpointing` what is written
and where a run continues from, :class:`Runtime` where it runs and what it shows,
:class:`FineTuning` how a pretrained backbone is treated. Every field can
also be passed to the Trainer as a keyword of its own name (the Trainer's signature before the
groups); such a keyword is applied on top of the group given. A new setting is a field in its
group, read where it acts.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, fields, replace
from typing import Any, Iterable

import torch
from torch import nn

from ..errors import ConfigError
from .callbacks import resolve_mode
from .optim import build_optimizer, build_scheduler
from .schedule import STEP_SCHEDULES, step_scheduler
from .validation import metric_names


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


@dataclass
class Optimization:
    """How the weights move. ``optimizer``: "adam", "adamw", "sgd", a torch optimizer, or a factory
    ``params -> optimizer``; ``lr``, ``weight_decay``: for a named one. ``scheduler``: None,
    "cosine", "step", "plateau", or a factory ``optimizer -> scheduler`` (stepped once per epoch).
    ``grad_clip``: clip the global gradient norm to this value (None: no clipping).
    ``warmup_steps``, ``step_schedule``: a learning rate set per optimizer step instead (see
    :mod:`siamkit.training.schedule`): linear warmup over ``warmup_steps``, then "constant",
    "linear" or "cosine" decay to 0 at the end of the run. ``accumulate_steps``: micro-batches
    whose gradients are averaged into one optimizer step (a batch ``accumulate_steps`` times
    larger in the memory of one; the last group of an epoch may be shorter, and is averaged over
    its own size)."""

    optimizer: Any = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    scheduler: Any = None
    grad_clip: float | None = None
    warmup_steps: int = 0
    step_schedule: str | None = None
    accumulate_steps: int = 1

    def check(self) -> None:
        _need(
            self.grad_clip is None or self.grad_clip > 0,
            f"grad_clip: must be > 0 or None, got {self.grad_clip!r}",
        )
        _need(float(self.lr) > 0, f"lr: must be > 0, got {self.lr!r}")
        _need(
            float(self.weight_decay) >= 0, f"weight_decay: must be >= 0, got {self.weight_decay!r}"
        )
        _need(_count(self.warmup_steps), f"warmup_steps: must be an int >= 0, got "
              f"{self.warmup_steps!r}")
        _need(_count(self.accumulate_steps) and self.accumulate_steps >= 1,
              f"accumulate_steps: must be an int >= 1, got {self.accumulate_steps!r}")
        _need(self.step_schedule in (None, *STEP_SCHEDULES), f"step_schedule: must be one of "
              f"{', '.join(STEP_SCHEDULES)} or None, got {self.step_schedule!r}")
        _need(self.scheduler is None or not self.per_step, "scheduler and warmup_steps / "
              "step_schedule: choose one (an epoch scheduler or a per-step schedule)")

    @property
    def per_step(self) -> bool:
        """True when the learning rate is set per optimizer step (warmup or a step schedule)."""
        return bool(self.warmup_steps) or self.step_schedule is not None

    def build(
        self, params: Iterable[nn.Parameter], epochs: int, mode: str, steps: int | None = None
    ) -> tuple[torch.optim.Optimizer, Any]:
        """The optimizer over ``params`` and its scheduler (None without one). ``steps``:
        optimizer steps per epoch (None when the loader has no length), for a step schedule."""
        optimizer = build_optimizer(self.optimizer, params, self.lr, self.weight_decay)
        if not self.per_step:
            return optimizer, build_scheduler(self.scheduler, optimizer, epochs, mode)
        kind = self.step_schedule or "constant"
        _need(kind == "constant" or steps is not None, f"step_schedule {kind!r}: needs a "
              "train_loader with a length (len()), to know when the run ends")
        total = None if steps is None else steps * epochs
        return optimizer, step_scheduler(optimizer, self.warmup_steps, kind, total)


@dataclass
class Monitoring:
    """Which epoch is best, and when to stop. ``early_stopping_metric``: stop when this figure
    (e.g. "val_loss", "val_roc_auc", "val_accuracy", "val_recall_at_1", "train_loss") has not
    improved for ``patience`` epochs by more than ``min_delta``; None: no early stopping. ``mode``:
    "min", "max" or "auto" (min for losses and error rates, max otherwise). ``keep_best``: at the
    end, restore the weights of the best epoch by the monitored figure (``early_stopping_metric``,
    else ``val_loss`` when there is validation data), kept in ``checkpoint_dir/best`` as a model
    directory."""

    early_stopping_metric: str | None = None
    patience: int = 5
    mode: str = "auto"
    min_delta: float = 0.0
    keep_best: bool = True

    def resolve(self, val_batch_kind: str | None) -> tuple[str | None, str | None]:
        """(monitor, mode): the figure that picks the best epoch, and its better direction; None
        for both without early stopping and without validation data."""
        monitor = self.early_stopping_metric or ("val_loss" if val_batch_kind else None)
        if monitor is None:
            return None, None
        known = ("train_loss", *metric_names(val_batch_kind))
        _need(
            monitor in known,
            f"early_stopping_metric: {monitor!r} is not recorded by this run; "
            f"it records {', '.join(known)}",
        )
        return monitor, resolve_mode(monitor, self.mode)


@dataclass
class Checkpointing:
    """What is written, and where a run continues from. ``checkpoint_dir``: folder for ``last.pt``
    (every ``checkpoint_every`` epochs, every ``checkpoint_every_steps`` optimizer steps if set, and
    on Ctrl-C), ``best/`` and ``history.json``; None: nothing written. ``resume``: a checkpoint file
    or folder to continue from, or True for ``checkpoint_dir/last.pt`` (``fit(resume=...)``
    overrides it)."""

    checkpoint_dir: str | os.PathLike | None = None
    checkpoint_every: int = 1
    checkpoint_every_steps: int | None = None
    resume: bool | str | os.PathLike | None = None

    def check(self) -> None:
        every, steps = self.checkpoint_every, self.checkpoint_every_steps
        _need(
            isinstance(every, int) and every >= 1,
            f"checkpoint_every: must be an int >= 1 (epochs), got {every!r}",
        )
        _need(
            steps is None or (isinstance(steps, int) and steps >= 1),
            f"checkpoint_every_steps: must be an int >= 1 or None, got {steps!r}",
        )


@dataclass
class Runtime:
    """Where the run happens and what it shows. ``device``: "auto" (CUDA when available, else CPU)
    or a torch device; ``amp``: mixed precision, "auto" (on CUDA only), True, False, "fp16",
    "bf16"; ``seed``: seeds Python, numpy and torch for the run; ``progress``: a progress bar with
    the live loss (only on a terminal, only on rank 0), updated every ``log_every`` steps."""

    device: str | torch.device = "auto"
    amp: Any = "auto"
    seed: int = 0
    progress: bool = True
    log_every: int = 10

    def check(self) -> None:
        _need(
            isinstance(self.log_every, int) and self.log_every >= 1,
            f"log_every: must be an int >= 1, got {self.log_every!r}",
        )


@dataclass
class FineTuning:
    """How a pretrained backbone is treated (see :mod:`siamkit.training.freeze`): the parameters
    the encoder names as its backbone (all of an encoder that names none).
    ``freeze_backbone_epochs`` / ``freeze_backbone_steps``: the backbone does not train during the
    first epochs / optimizer steps (the head and projection do). ``backbone_lr``: its learning
    rate (None: ``lr``), scaled by the same schedule. ``freeze_batchnorm``: its BatchNorm layers
    keep their running statistics (eval mode) while training."""

    freeze_backbone_epochs: int = 0
    freeze_backbone_steps: int = 0
    backbone_lr: float | None = None
    freeze_batchnorm: bool = False

    def check(self) -> None:
        for key in ("freeze_backbone_epochs", "freeze_backbone_steps"):
            value = getattr(self, key)
            _need(_count(value), f"{key}: must be an int >= 0, got {value!r}")
        lr = self.backbone_lr
        _need(lr is None or (isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0),
              f"backbone_lr: must be > 0 or None, got {lr!r}")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


GROUPS = {
    "optimization": Optimization,
    "monitoring": Monitoring,
    "checkpointing": Checkpointing,
    "runtime": Runtime,
    "fine_tuning": FineTuning,
}
# flat keyword -> the group it belongs to
FIELD_GROUP = {f.name: group for group, cls in GROUPS.items() for f in fields(cls)}


def settings_from(flat: dict[str, Any], *groups: Any) -> tuple[Any, ...]:
    """The groups in :data:`GROUPS` order (each the one given, or its defaults), copied with the
    flat keywords of their fields applied."""
    unknown = [k for k in flat if k not in FIELD_GROUP]
    if unknown:
        close = difflib.get_close_matches(unknown[0], [*FIELD_GROUP, *GROUPS], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise TypeError(f"Trainer: unexpected keyword argument {unknown[0]!r}{hint}")
    out = []
    for (name, cls), given in zip(GROUPS.items(), groups):
        if given is not None and not isinstance(given, cls):
            raise ConfigError(f"{name}: expected a {cls.__name__}, got {type(given).__name__}")
        mine = {k: v for k, v in flat.items() if FIELD_GROUP[k] == name}
        # a copy, so that setting trainer.lr later leaves the caller's group alone
        out.append(replace(given or cls(), **mine))
    return tuple(out)


def flat_settings(cls: type) -> type:
    """Class decorator: every field of every group is also ``obj.<field>`` (read and write), the
    Trainer's attributes before the groups (``trainer.lr`` is ``trainer.optimization.lr``)."""
    for name, group in FIELD_GROUP.items():

        def get(self: Any, group: str = group, name: str = name) -> Any:
            return getattr(getattr(self, group), name)

        def set_(self: Any, value: Any, group: str = group, name: str = name) -> None:
            setattr(getattr(self, group), name, value)

        setattr(cls, name, property(get, set_, doc=f"``{group}.{name}``"))
    return cls


def check_settings(model: Any, loss: Any, epochs: Any, groups: Iterable[Any]) -> None:
    """ConfigError naming the first Trainer argument that is out of range."""
    _need(isinstance(epochs, int) and epochs >= 1, f"epochs: must be an int >= 1, got {epochs!r}")
    for group in groups:
        group.check()
    _need(
        isinstance(model, nn.Module) and callable(getattr(model, "score_embeddings", None)),
        f"model: expected a siamkit.SiameseNetwork, got {type(model).__name__}",
    )
    _need(
        isinstance(loss, nn.Module),
        f"loss: expected a siamkit loss (an nn.Module), got {type(loss).__name__}",
    )
