"""Counting what a loader skips, so that nothing is dropped silently.

A :class:`SkipCounter` collects ``(reason, where)`` for every skipped row or file; ``warn`` emits
one :class:`siamkit.errors.SiamkitWarning` saying how many were skipped, why, and naming the first
few; ``summary`` is stored in the returned dataset's ``info["skipped"]``.
"""

from __future__ import annotations

import warnings
from collections import Counter

from ...errors import SiamkitWarning

_SHOW = 3


class SkipCounter:
    """Skipped items by reason, with the first few places of each."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}

    def add(self, reason: str, where: str) -> None:
        self.counts[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < _SHOW:
            shown.append(where)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> dict[str, int]:
        return dict(self.counts)

    def message(self, of_total: int | None = None, unit: str = "items") -> str:
        total = f" of {of_total}" if of_total is not None else ""
        parts = []
        for reason, n in self.counts.most_common():
            more = ", ..." if n > len(self.examples[reason]) else ""
            parts.append(f"{n} {reason} ({', '.join(self.examples[reason])}{more})")
        return f"{self.source}: skipped {self.total}{total} {unit}: " + "; ".join(parts)

    def warn(self, of_total: int | None = None, unit: str = "items") -> None:
        if self.total:
            warnings.warn(self.message(of_total, unit), SiamkitWarning, stacklevel=3)
