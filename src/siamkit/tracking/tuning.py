"""Choosing a tracker's search settings on validation sequences, as SiamFC's authors did.

Bertinetto et al. (2016) set the scale step, scale penalty, scale damping and window influence by
search on validation videos. :func:`tune_tracker` does the same with coordinate ascent: each
setting in turn takes the value of its grid that gives the best mean success AUC (OTB) with the
others held, for a few rounds. Tune on sequences kept apart from the benchmark's test set.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import DataError
from .metrics import sequence_scores
from .model import SiamFCTracker
from .sequences import TrackingSequence
from .tracker import Tracker, run_tracker

DEFAULT_GRID: dict[str, tuple] = {
    "window_influence": (0.1, 0.175, 0.25, 0.35, 0.45),
    "scale_penalty": (0.94, 0.96, 0.975, 0.99, 1.0),
    "scale_lr": (0.2, 0.35, 0.5, 0.7),
    "scale_step": (1.02, 1.035, 1.05, 1.07),
}


def evaluate_params(
    model: SiamFCTracker, sequences: Sequence[TrackingSequence], **params: Any
) -> float:
    """Mean success AUC of the tracker with ``params`` over ``sequences``."""
    return float(
        np.mean(
            [
                sequence_scores(
                    run_tracker(Tracker(model, **params), s.frames, s.boxes[0]).boxes, s.boxes
                )["success_auc"]
                for s in sequences
            ]
        )
    )


def tune_tracker(
    model: SiamFCTracker,
    sequences: Sequence[TrackingSequence],
    grid: dict[str, Sequence] | None = None,
    rounds: int = 2,
    verbose: bool = False,
) -> dict[str, Any]:
    """Set ``model.params`` to the best settings found on ``sequences``; returns the report also
    kept in ``model.metadata["tuning"]`` (the settings, the validation AUC before and after)."""
    if not sequences:
        raise DataError("tune_tracker: no validation sequences")
    grid = dict(DEFAULT_GRID if grid is None else grid)
    model.params.updated(
        {k: v[0] for k, v in grid.items()}, "tune_tracker grid"
    )  # names checked early
    best = {k: getattr(model.params, k) for k in grid}
    seen: dict[tuple, float] = {}

    def score(settings: dict[str, Any]) -> float:
        key = tuple(sorted(settings.items()))
        if key not in seen:
            seen[key] = evaluate_params(model, sequences, **settings)
            if verbose:
                print(f"  {settings} -> {seen[key]:.4f}", flush=True)
        return seen[key]

    before = best_score = score(best)
    for _ in range(rounds):
        changed = False
        for name, values in grid.items():
            for value in values:
                trial = {**best, name: value}
                if score(trial) > best_score + 1e-4:
                    best, best_score, changed = trial, score(trial), True
        if not changed:
            break
    model.params = model.params.updated(best)
    report = {
        "settings": best,
        "validation_auc_before": round(before, 4),
        "validation_auc": round(best_score, 4),
        "sequences": len(sequences),
        "evaluations": len(seen),
    }
    model.metadata["tuning"] = report
    return report
