"""A Trainer's whole state in a checkpoint, and back: what makes a resumed run repeat exactly.

:func:`save_run` gathers the model, loss, optimizer, scheduler and GradScaler states, the position
(epochs done, batches done in the current epoch, optimizer steps, the epoch's running figures), the
random generator states of every rank, the loader's and the callbacks' states, the history and the
best metric, and writes them with :func:`~siamkit.training.checkpoint.save_checkpoint` (atomically).
:func:`restore_run` puts them back into a freshly set-up Trainer; the best weights so far come from
``checkpoint_dir/best``, written before ``last.pt`` each time they change, so ``best/`` is never
older than the checkpoint that names it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ..errors import ConfigError, ModelFileError, SiamkitWarning
from . import distributed
from .checkpoint import (
    BEST_DIR,
    check_safe,
    find_checkpoint,
    load_checkpoint,
    rng_state,
    save_checkpoint,
)
from .history import History
from .loaders import load_loader_state, loader_state
from .runtime import EpochStats

if TYPE_CHECKING:  # pragma: no cover
    from .trainer import Trainer

log = logging.getLogger("siamkit.training")


def save_run(t: "Trainer", path: Path, epoch: int, stats: EpochStats | None) -> None:
    """Write ``path``: ``epoch`` epochs done, then ``stats.batches`` batches of the next one.
    Every rank must call it (the generator states are gathered); rank 0 writes."""
    rng: Any = rng_state()
    if distributed.is_distributed():  # every rank's generators, so that each resumes its own
        states: list[Any] = [None] * t.world_size_
        torch.distributed.all_gather_object(states, rng)
        rng = states
    if t.rank_ != 0:
        return
    state = {
        "epoch": epoch,
        "batch": stats.batches if stats else 0,
        "step": t.step_,
        "epoch_stats": stats.to_dict() if stats else None,
        "model": t.model.state_dict(),
        "loss": t.loss.state_dict(),
        "optimizer": t.optimizer_.state_dict(),
        "scheduler": t.scheduler_.state_dict() if t.scheduler_ is not None else None,
        "scaler": t.scaler_.state_dict(),
        "rng": rng,
        "loader": loader_state(t.train_loader_raw_),
        "callbacks": [cb.state_dict() for cb in t.callbacks_],
        "history": t.history_.to_dict(),
        "best": {"metric": t.best_metric_, "epoch": t.best_epoch_},
        # an interrupted run is meant to go on; only early stopping is final
        "stop_reason": t.stop_reason_ if t.stop_reason_ != "interrupted" else None,
        "run": {
            "seed": t.seed,
            "world_size": t.world_size_,
            "batch_kind": t.batch_kind_,
            "loss": type(t.loss).__name__,
            "epochs": t.epochs,
        },
    }
    check_safe(state["loader"], "loader state")
    check_safe(state["callbacks"], "callback state")
    save_checkpoint(path, state)


def restore_run(
    t: "Trainer", resume: Any, default: Path | None
) -> tuple[int, dict[str, Any] | None]:
    """Load the checkpoint ``resume`` asks for (True: ``default``) into ``t``.
    Returns (epoch to start at, ``{"stats", "rng"}`` of the position in it), or (0, None)."""
    if resume is None or resume is False:
        return 0, None
    if resume is True:
        if default is None:
            raise ConfigError(
                "resume=True needs checkpoint_dir (where last.pt is); or pass resume=<path>"
            )
        if not default.is_file():
            warnings.warn(
                f"resume: no checkpoint at {default} yet; starting from scratch",
                SiamkitWarning,
                stacklevel=4,
            )
            return 0, None
        path = default
    else:
        path = find_checkpoint(resume)
    state = load_checkpoint(path)
    try:
        t.model.load_state_dict(state["model"])
        t.loss.load_state_dict(state["loss"])
        t.optimizer_.load_state_dict(state["optimizer"])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise ModelFileError(
            f"checkpoint {path}: does not fit this model, loss or optimizer "
            f"({str(exc).splitlines()[0][:300]})"
        ) from None
    if t.scheduler_ is not None and state["scheduler"] is not None:
        t.scheduler_.load_state_dict(state["scheduler"])
    if state["scaler"]:
        t.scaler_.load_state_dict(state["scaler"])
    if len(state["callbacks"]) != len(t.callbacks_):
        warnings.warn(
            f"resume: {path} holds the state of {len(state['callbacks'])} callback(s), this run "
            f"has {len(t.callbacks_)}; they are matched in order",
            SiamkitWarning,
            stacklevel=4,
        )
    for callback, cb_state in zip(t.callbacks_, state["callbacks"]):
        callback.load_state_dict(cb_state)
    load_loader_state(t.train_loader_raw_, state["loader"])
    t.history_ = History.from_dict(state["history"], where=f"checkpoint {path}")
    t.best_metric_, t.best_epoch_ = state["best"]["metric"], state["best"]["epoch"]
    t.epoch_, t.step_, t.stop_reason_ = state["epoch"], state["step"], state["stop_reason"]
    if t.keep_best and t.best_epoch_ is not None:
        t.best_state_ = _read_best(path.parent / BEST_DIR)
    run = state["run"]
    if run["seed"] != t.seed or run["world_size"] != t.world_size_:
        warnings.warn(
            f"resume: {path} was written with seed {run['seed']} and {run['world_size']} "
            "process(es); this run differs, so it will not repeat the interrupted run exactly",
            SiamkitWarning,
            stacklevel=4,
        )
    rng = state["rng"][t.rank_] if isinstance(state["rng"], list) else state["rng"]
    log.info("resumed from %s at epoch %d, batch %d", path, state["epoch"] + 1, state["batch"])
    return state["epoch"], {"stats": state["epoch_stats"] or {}, "rng": rng}


def _read_best(folder: Path) -> dict[str, torch.Tensor] | None:
    from safetensors.torch import load_file

    file = folder / "model.safetensors"
    if not file.is_file():
        warnings.warn(
            f"resume: {file} is missing; the best weights so far cannot be restored at the end",
            SiamkitWarning,
            stacklevel=5,
        )
        return None
    return load_file(str(file))
