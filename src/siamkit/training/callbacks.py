"""Callbacks: small hooks into the training loop, after Keras' and Lightning's, kept minimal.

A callback overrides any of ``on_train_start(trainer)``, ``on_step_end(trainer, step)`` (after each
optimizer step, numbered from 1 over the whole run), ``on_epoch_end(trainer, epoch, logs)`` (epoch
numbered from 1; ``logs`` is that epoch's history entry, which the callback may extend) and
``on_train_end(trainer, history)``. ``on_step_end`` is where a fine-tune of one epoch is watched
(a validation figure every N steps): it may evaluate the model, and the trainer puts the model
back in training mode afterwards; a callback that draws random numbers there changes the rest of
the run's random stream. It stops training by setting ``trainer.stop_training = True``.
A callback with state that must survive an interruption returns it from ``state_dict()`` (numbers,
strings, lists, dicts) and takes it back in ``load_state_dict()``; checkpoints store it.

Built in: :class:`EarlyStopping` (the trainer adds one for ``early_stopping_metric``),
:class:`ModelCheckpoint` (a model directory per epoch or at each improvement), :class:`HistoryLogger`
(history JSON after every epoch) and :class:`LRLogger` (learning rates into the log). In several
processes only rank 0 writes files.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..errors import ConfigError, SiamkitWarning
from . import distributed
from .checkpoint import check_safe
from .validation import default_mode

if TYPE_CHECKING:  # pragma: no cover
    from .history import History
    from .trainer import Trainer

log = logging.getLogger("siamkit.training")


class Callback:
    """Base class: every hook does nothing."""

    def on_train_start(self, trainer: "Trainer") -> None:
        pass

    def on_step_end(self, trainer: "Trainer", step: int) -> None:
        pass

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None:
        pass

    def on_train_end(self, trainer: "Trainer", history: "History") -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class CallbackList:
    """The run's callbacks, each hook called on them in order; their states are saved and restored
    together, as the list a checkpoint holds (matched in order on resume)."""

    def __init__(self, callbacks: Iterable[Callback]) -> None:
        self.callbacks = list(callbacks)
        # found once: on_step_end runs after every optimizer step
        self.step_watchers = [c for c in self.callbacks
                              if type(c).on_step_end is not Callback.on_step_end]

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def on_train_start(self, trainer: "Trainer") -> None:
        for callback in self.callbacks:
            callback.on_train_start(trainer)

    def on_step_end(self, trainer: "Trainer", step: int) -> bool:
        """Call the callbacks that watch steps; True when there was one (it may have evaluated)."""
        for callback in self.step_watchers:
            callback.on_step_end(trainer, step)
        return bool(self.step_watchers)

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(trainer, epoch, logs)

    def on_train_end(self, trainer: "Trainer", history: "History") -> None:
        for callback in self.callbacks:
            callback.on_train_end(trainer, history)

    def state_dict(self) -> list[dict[str, Any]]:
        states = [callback.state_dict() for callback in self.callbacks]
        check_safe(states, "callback state")
        return states

    def load_state_dict(self, states: list[dict[str, Any]]) -> None:
        if len(states) != len(self.callbacks):
            warnings.warn(
                f"resume: the checkpoint holds the state of {len(states)} callback(s), this run "
                f"has {len(self.callbacks)}; they are matched in order",
                SiamkitWarning,
                stacklevel=5,
            )
        for callback, state in zip(self.callbacks, states):
            callback.load_state_dict(state)


def resolve_mode(metric: str, mode: str) -> str:
    if mode == "auto":
        return default_mode(metric)
    if mode not in ("min", "max"):
        raise ConfigError(f"mode: expected 'min', 'max' or 'auto', got {mode!r}")
    return mode


def is_improvement(
    value: float | None, best: float | None, mode: str, min_delta: float = 0.0
) -> bool:
    """Whether ``value`` beats ``best`` by more than ``min_delta`` (None never improves)."""
    if value is None:
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs."""

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        mode: str = "auto",
        min_delta: float = 0.0,
    ) -> None:
        if int(patience) < 1:
            raise ConfigError(f"patience: must be >= 1 epoch, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.mode = resolve_mode(monitor, mode)
        self.best_: float | None = None
        self.wait_ = 0
        self.stopped_epoch_: int | None = None

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None:
        value = logs.get(self.monitor)
        if is_improvement(value, self.best_, self.mode, self.min_delta):
            self.best_, self.wait_ = value, 0
            return
        self.wait_ += 1
        if self.wait_ >= self.patience:
            self.stopped_epoch_ = epoch
            trainer.stop_training = True
            trainer.stop_reason_ = "early_stopping"
            log.info(
                "early stopping at epoch %d: %s has not improved for %d epochs (best %s)",
                epoch,
                self.monitor,
                self.wait_,
                self.best_,
            )

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best_, "wait": self.wait_, "stopped_epoch": self.stopped_epoch_}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_, self.wait_, self.stopped_epoch_ = (
            state["best"],
            state["wait"],
            state["stopped_epoch"],
        )


class ModelCheckpoint(Callback):
    """Save the model (``model.save``) into ``path`` after every epoch, or, with ``monitor``, each
    time that metric improves: ``path`` then always holds the best model so far."""

    def __init__(
        self, path: str | os.PathLike, monitor: str | None = None, mode: str = "auto"
    ) -> None:
        self.path, self.monitor = Path(path), monitor
        self.mode = resolve_mode(monitor, mode) if monitor else mode
        self.best_: float | None = None

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None:
        if self.monitor is not None:
            if not is_improvement(logs.get(self.monitor), self.best_, self.mode):
                return
            self.best_ = logs[self.monitor]
        if distributed.is_main_process():
            trainer.model.save(self.path)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best_}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_ = state["best"]


class HistoryLogger(Callback):
    """Write the history as JSON to ``path`` after every epoch and at the end (atomically)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None:
        if distributed.is_main_process():
            trainer.history_.to_json(self.path)

    def on_train_end(self, trainer: "Trainer", history: "History") -> None:
        if distributed.is_main_process():
            history.to_json(self.path)


class LRLogger(Callback):
    """Log the learning rate of every parameter group after each epoch; with several groups, also
    record them as ``lr_groups`` in the epoch's history entry."""

    def __init__(self, log_fn: Callable[[str], None] | None = None) -> None:
        self.log_fn = log_fn or log.info

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None:
        lrs = [float(g["lr"]) for g in trainer.optimizer_.param_groups]
        if len(lrs) > 1:
            logs["lr_groups"] = lrs
        if distributed.is_main_process():
            self.log_fn(f"epoch {epoch}: lr {', '.join(f'{lr:.3g}' for lr in lrs)}")
