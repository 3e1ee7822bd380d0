"""Is the run diverging? A loss that grows by orders of magnitude is warned about, loudly.

A loss that becomes inf or NaN already stops training (:class:`~siamkit.errors.TrainingError`,
in the trainer). A loss that stays finite but explodes (lr 1e6 takes a contrastive loss from 0.5
to 1e25) would otherwise end in a run that exits 0 with useless weights. The watch compares each
step's loss with the loss of the run's first step, taken before any update, and at least 1 (so a
loss that starts near 0 does not alarm on noise): ``FACTOR`` (1000) times that is divergence. It
warns once per run, on the console (a :class:`~siamkit.errors.SiamkitWarning` and the
``siamkit.training`` log) and in the history (``history.meta["divergence"]`` with where and how
much, and ``"diverging": true`` in the epochs where it was seen).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from ..errors import SiamkitWarning

FACTOR = 1e3
log = logging.getLogger("siamkit.training")


class DivergenceWatch:
    """Per-step check of the training loss against the loss of the first step."""

    def __init__(self, factor: float = FACTOR) -> None:
        self.factor = float(factor)
        self.first: float | None = None
        self.found: dict[str, Any] | None = None
        self.in_epoch = False

    def update(self, value: float, epoch: int, batch: int, step: int) -> dict[str, Any] | None:
        """Look at one step's loss; returns the record when divergence is first seen."""
        if self.first is None:
            self.first = abs(value)
            return None
        scale = max(self.first, 1.0)
        if abs(value) < self.factor * scale:
            return None
        self.in_epoch = True
        if self.found is not None:
            return None
        self.found = {"epoch": epoch + 1, "batch": batch, "step": step, "loss": value,
                      "first_loss": self.first, "ratio": abs(value) / scale}
        message = (f"training is diverging: the loss reached {value:.3g} at epoch {epoch + 1}, "
                   f"batch {batch} (step {step}), {abs(value) / scale:.2g} times the first "
                   f"step's {self.first:.3g}; lower the lr or set grad_clip")
        log.warning(message)
        warnings.warn(message, SiamkitWarning, stacklevel=3)
        return self.found

    def end_epoch(self) -> bool:
        """Whether divergence was seen in the epoch that ends; resets for the next."""
        seen, self.in_epoch = self.in_epoch, False
        return seen

    def state_dict(self) -> dict[str, Any]:
        return {"first": self.first, "found": self.found, "in_epoch": self.in_epoch}

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        if state:  # checkpoints written before the watch existed have none
            self.first, self.found = state.get("first"), state.get("found")
            self.in_epoch = bool(state.get("in_epoch"))
