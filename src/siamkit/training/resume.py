"""Resuming a run: which checkpoint it continues from, and whether that checkpoint is of this run.

The checkpoint itself is :meth:`siamkit.training.Trainer.state_dict`, a composition of the states
of the objects that own them, put back by ``Trainer.load_state_dict``. :func:`resume_run` finds
it, loads it, reads the best weights so far from the ``best/`` folder beside it, and warns when the
run that wrote it (its ``run`` entry: seed, number of processes) cannot be repeated exactly.
``resume`` is None or False (start afresh), True (``checkpoint_dir/last.pt``; afresh, with a
warning, while there is none yet) or a checkpoint file or folder.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, SiamkitWarning
from .checkpoint import BEST_DIR, find_checkpoint, load_checkpoint

if TYPE_CHECKING:  # pragma: no cover
    from .trainer import Trainer

log = logging.getLogger("siamkit.training")


def resume_run(trainer: "Trainer", resume: Any) -> None:
    """Continue ``trainer`` (just set up by ``fit``) from the checkpoint ``resume`` asks for."""
    path = checkpoint_to_resume(resume, trainer.checkpoint_path())
    if path is None:
        return
    state, where = load_checkpoint(path), f"checkpoint {path}"
    trainer.load_state_dict(state, where=where)
    _check_run(state["run"], trainer.runtime.seed, trainer.world_size_, where)
    trainer.best_.read_weights(path.parent / BEST_DIR)
    log.info("resumed from %s at epoch %d, batch %d", path, state["epoch"] + 1, state["batch"])


def checkpoint_to_resume(resume: Any, default: Path | None) -> Path | None:
    """The checkpoint file ``resume`` asks for (True: ``default``), or None to start afresh."""
    if resume is None or resume is False:
        return None
    if resume is not True:
        return find_checkpoint(resume)
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
        return None
    return default


def _check_run(saved: dict[str, Any], seed: int, world_size: int, where: str) -> None:
    """Warn when a run of ``seed`` on ``world_size`` processes cannot repeat the run that wrote
    ``saved`` (a checkpoint's ``run``)."""
    if saved["seed"] != seed or saved["world_size"] != world_size:
        warnings.warn(
            f"resume: {where} was written with seed {saved['seed']} and {saved['world_size']} "
            "process(es); this run differs, so it will not repeat the interrupted run exactly",
            SiamkitWarning,
            stacklevel=4,
        )
