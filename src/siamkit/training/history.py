"""The record of a training run: one dict of figures per epoch, plus how the run ended.

``history["train_loss"]`` is the list of that figure over epochs (None where an epoch lacks it);
``history.epochs`` the list of per-epoch dicts; ``history.to_json(path)`` writes it (atomically).
The JSON layout::

    {"format": "siamkit-history", "format_version": 1,
     "monitor": "val_loss", "mode": "min", "best_epoch": 3, "best_metric": 0.12,
     "stop_reason": "completed" | "early_stopping" | "interrupted" | "non_finite" | null,
     "divergence": null | {"epoch": 2, "batch": 1, "step": 5, "loss": 1e25, "first_loss": 0.4, ...},
     "epochs": [{"epoch": 1, "train_loss": ..., "val_loss": ..., "val_roc_auc": ..., "lr": ...,
                 "time_s": ..., "samples_per_s": ..., "steps": ..., "degenerate_batches": ...}, ...]}

Epochs are numbered from 1. Non-finite numbers are stored as None so that the file is strict JSON.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterator

from ..atomic import atomic_write_json
from ..errors import DataError

FORMAT = "siamkit-history"
FORMAT_VERSION = 1
_META = ("monitor", "mode", "best_epoch", "best_metric", "stop_reason", "divergence")


class History:
    """Per-epoch figures of a training run (see the module docstring)."""

    def __init__(self, epochs: list[dict[str, Any]] | None = None, **meta: Any) -> None:
        self.epochs: list[dict[str, Any]] = [dict(e) for e in epochs or []]
        self.meta: dict[str, Any] = {key: meta.get(key) for key in _META}

    def append(self, logs: dict[str, Any]) -> dict[str, Any]:
        entry = {key: _clean(value) for key, value in logs.items()}
        self.epochs.append(entry)
        return entry

    def __getitem__(self, key: str) -> list[Any]:
        if not any(key in e for e in self.epochs):
            raise KeyError(
                f"history: no figure {key!r}; it has {', '.join(self.keys()) or 'nothing yet'}"
            )
        return [e.get(key) for e in self.epochs]

    def __len__(self) -> int:
        return len(self.epochs)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.epochs)

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, best_epoch={self.best_epoch}, stop_reason={self.stop_reason!r})"

    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for e in self.epochs:
            seen.update(dict.fromkeys(e))
        return list(seen)

    @property
    def best_epoch(self) -> int | None:
        return self.meta.get("best_epoch")

    @property
    def best_metric(self) -> float | None:
        return self.meta.get("best_metric")

    @property
    def stop_reason(self) -> str | None:
        return self.meta.get("stop_reason")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **{k: _clean(v) for k, v in self.meta.items()},
            "epochs": [dict(e) for e in self.epochs],
        }

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps: :meth:`to_dict`."""
        return self.to_dict()

    def load_state_dict(self, state: dict[str, Any], where: str = "checkpoint") -> None:
        """Become the history ``state`` holds (from :meth:`state_dict`), in place."""
        loaded = History.from_dict(state, where=where)
        self.epochs, self.meta = loaded.epochs, loaded.meta

    def to_json(self, path: str | os.PathLike) -> Path:
        return atomic_write_json(path, self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "history") -> "History":
        if (
            not isinstance(data, dict)
            or data.get("format") != FORMAT
            or not isinstance(data.get("epochs"), list)
        ):
            raise DataError(
                f"{where}: not a siamkit history (expected format {FORMAT!r} with an epochs list)"
            )
        return cls(data["epochs"], **{k: data.get(k) for k in _META})

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> "History":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DataError(f"history {path}: cannot read it as JSON ({exc})") from None
        return cls.from_dict(data, where=f"history {path}")


def _clean(value: Any) -> Any:
    """JSON-safe: non-finite floats become None; tensors and numpy scalars become numbers."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value
