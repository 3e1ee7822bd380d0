"""The best epoch of a run by the monitored figure, and its weights.

With ``keep_best`` the weights of the best epoch are kept in memory (to restore at the end) and,
with a checkpoint folder, written to ``checkpoint_dir/best`` as a model directory. ``best/`` is
written before ``last.pt`` each time it changes, so it is never older than the checkpoint that
names its epoch; a resumed run reads the best weights so far back from there.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import SiamkitWarning
from .callbacks import is_improvement


class BestEpoch:
    """Best value of ``monitor`` (in ``mode``) so far, its epoch (from 1) and, with ``keep``, its
    weights; ``folder``: where to write them as a model directory (None: only in memory)."""

    def __init__(self, monitor: str | None, mode: str | None, keep: bool, folder: Path | None):
        self.monitor, self.mode, self.keep, self.folder = monitor, mode, keep, folder
        self.metric: float | None = None
        self.epoch: int | None = None
        self.weights: dict[str, torch.Tensor] | None = None

    def update(self, epoch: int, logs: dict[str, Any], model: nn.Module) -> None:
        """After epoch ``epoch`` (from 1) with figures ``logs``."""
        value = logs.get(self.monitor) if self.monitor else None
        if not self.monitor or not is_improvement(value, self.metric, self.mode):
            return
        self.metric, self.epoch = value, epoch
        if self.keep:
            self.weights = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            if self.folder is not None:
                model.save(self.folder)

    def restore(self, model: nn.Module, last_epoch: int) -> bool:
        """Load the best weights into ``model`` unless they are its last epoch's; True if loaded."""
        if not self.keep or self.weights is None or self.epoch == last_epoch:
            return False
        model.load_state_dict(self.weights)
        return True

    def state_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.metric, self.epoch = state["metric"], state["epoch"]

    def read_weights(self, folder: Path) -> None:
        """The best weights so far, from the model directory ``folder`` a resumed run wrote."""
        if not self.keep or self.epoch is None:
            return
        from safetensors.torch import load_file

        file = folder / "model.safetensors"
        if not file.is_file():
            warnings.warn(
                f"resume: {file} is missing; the best weights so far cannot be restored at the end",
                SiamkitWarning,
                stacklevel=4,
            )
            return
        self.weights = load_file(str(file))
