"""Resuming a run: which checkpoint it continues from, and whether that checkpoint is of this run.

The checkpoint itself is :meth:`siamkit.training.Trainer.state_dict`, a composition of the states
of the objects that own them; this module holds the two questions around it. ``resume`` is None or
False (start afresh), True (``checkpoint_dir/last.pt``; afresh, with a warning, while there is none
yet) or a checkpoint file or folder. ``run`` in a checkpoint records what must match for the resumed
run to repeat the interrupted one exactly (seed, number of processes); a mismatch is a warning.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from ..errors import ConfigError, SiamkitWarning
from .checkpoint import find_checkpoint


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


def check_run(saved: dict[str, Any], seed: int, world_size: int, where: str) -> None:
    """Warn when a run of ``seed`` on ``world_size`` processes cannot repeat the run that wrote
    ``saved`` (a checkpoint's ``run``)."""
    if saved["seed"] != seed or saved["world_size"] != world_size:
        warnings.warn(
            f"resume: {where} was written with seed {saved['seed']} and {saved['world_size']} "
            "process(es); this run differs, so it will not repeat the interrupted run exactly",
            SiamkitWarning,
            stacklevel=5,
        )
