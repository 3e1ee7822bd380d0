"""Whether a threshold chosen on validation pairs means what its rule promised, in words.

A rule can be met on paper and still be useless, and small validation sets are where it happens:

- rule ``"far"`` with ``target_far`` below ``1 / n_different``: one false accept among the
  different pairs is already above the target, so the rule may accept none, and the threshold sits
  above the highest-scoring different pair: one outlier decides it, and true pairs are rejected
  wholesale (on 72 different pairs, FAR <= 1% means FAR = 0);
- any rule whose threshold rejects more than :data:`MAX_FRR` of the same pairs on the very data it
  was chosen on: the model will call most genuine pairs "different".

:func:`threshold_warnings` returns one readable line per problem (empty when there is none); the
caller warns with them (:class:`~siamkit.errors.SiamkitWarning`) and records them, so that
``siamkit train`` says them on the console and in metrics.json. Where the rule was not the accuracy
rule, the line says what the accuracy rule would reach on the same pairs, so the user can compare.
Labels: 1 = same, 0 = different; scores: higher = more similar.
"""

from __future__ import annotations

import math
from typing import Any

from .thresholds import choose_threshold

MAX_FRR = 0.5  # rejecting over half the genuine validation pairs is no working operating point


def threshold_warnings(scores: Any, labels: Any, info: dict[str, Any],
                       description: str = "validation pairs") -> list[str]:
    """Problems of the threshold ``info`` (from :func:`choose_threshold` on ``scores``,
    ``labels``), each one line that names the rule, the pairs and the figures."""
    rule, n_diff = info["rule"], info["n_different"]
    lines = []
    if rule == "far" and info["target_far"] * n_diff < 1:
        lines.append(
            f"threshold rule far (target FAR {info['target_far']:g}) cannot be met meaningfully on "
            f"{info['n']} {description}: one false accept among their {n_diff} different pairs is "
            f"already FAR {1 / n_diff:.3g}, so it allows none (it needs at least "
            f"{_needed(info['target_far'])} different pairs)")
    if info["frr"] > MAX_FRR:
        lines.append(f"threshold rule {rule} rejects {info['frr']:.1%} of the same pairs among "
                     f"the {description} it was chosen on (FRR {info['frr']:.3f}, FAR "
                     f"{info['far']:.3f})")
    if lines and rule != "accuracy":
        _, best = choose_threshold(scores, labels, rule="accuracy")
        lines[-1] += (f"; the accuracy rule would reach accuracy {best['accuracy']:.3f} (FAR "
                      f"{best['far']:.3f}, FRR {best['frr']:.3f}) there: set [evaluation] "
                      f"threshold_rule = \"accuracy\", or validate on more pairs")
    return lines


def _needed(target_far: float) -> int:
    return math.ceil(1 / target_far - 1e-9)
