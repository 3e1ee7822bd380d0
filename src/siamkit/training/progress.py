"""What a run shows while it trains: a progress bar with the live loss, and a log line per epoch.

Only rank 0 shows anything; the bar only on a terminal (``sys.stderr.isatty()``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Iterable

from .runtime import EpochStats

log = logging.getLogger("siamkit.training")


class ProgressBar:
    """A tqdm bar over the batches of one epoch, the mean loss updated every ``every`` steps; it
    does nothing when ``show`` is False or stderr is not a terminal."""

    def __init__(
        self, show: bool, loader: Iterable, epoch: int, epochs: int, done: int, every: int
    ) -> None:
        self.bar, self.every = None, every
        if not (show and sys.stderr.isatty()):
            return
        from tqdm.auto import tqdm

        total = len(loader) if hasattr(loader, "__len__") else None  # type: ignore[arg-type]
        self.bar = tqdm(
            total=total,
            initial=done,
            desc=f"epoch {epoch + 1}/{epochs}",
            unit="batch",
            leave=False,
            dynamic_ncols=True,
        )

    def update(self, stats: EpochStats) -> None:
        if self.bar is None:
            return
        self.bar.update(1)
        if stats.batches % self.every == 0:
            self.bar.set_postfix(loss=f"{stats.mean_loss:.4g}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def log_epoch(entry: dict[str, Any], epochs: int) -> None:
    """``epoch 3/10: train_loss 0.21, val_loss 0.25, val_roc_auc 0.97``, into the log."""
    figures = ", ".join(
        f"{k} {v:.4g}"
        for k, v in entry.items()
        if isinstance(v, float) and (k.endswith("loss") or k.startswith("val_")) and "time" not in k
    )
    log.info("epoch %d/%d: %s", entry["epoch"], epochs, figures)
