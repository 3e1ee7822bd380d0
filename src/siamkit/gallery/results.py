"""What gallery queries return. Every ``score`` is on the model's score scale: higher = more similar
(cosine similarity, minus a distance, or the head's match probability)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np


@dataclass(frozen=True)
class Match:
    """One reference found by :meth:`Gallery.search`."""

    reference_id: int
    identity: str
    score: float
    metadata: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    """One identity ranked by :meth:`Gallery.identify`: its best reference and that score."""

    identity: str
    score: float
    reference_id: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Identification:
    """The answer for one probe.

    ``candidates`` are the top identities, best first. With a threshold (open-set identification),
    ``known`` says whether the best score reaches it, and ``identity`` is the best candidate when it
    does and None ("unknown") when it does not. Without a threshold there is no decision: ``known``
    is None and ``identity`` is simply the best candidate (closed-set identification).
    """

    identity: str | None
    score: float | None
    known: bool | None
    threshold: float | None
    candidates: list[Candidate]

    def to_dict(self) -> dict[str, Any]:
        return {"identity": self.identity, "score": self.score, "known": self.known,
                "threshold": self.threshold, "candidates": [c.to_dict() for c in self.candidates]}


class Identifications(Sequence[Identification]):
    """The answers of :meth:`Gallery.identify` for a batch of probes, held as arrays.

    It behaves as a list of :class:`Identification` (built when accessed), and offers the arrays
    for batch work: ``candidate_identities`` (object ``[B, k]``, None in empty slots),
    ``candidate_scores`` (``[B, k]``, NaN in empty slots), ``candidate_reference_ids`` (``[B, k]``,
    -1 in empty slots), and per probe ``identity``, ``score`` and ``known``.
    """

    def __init__(self, identities: np.ndarray, scores: np.ndarray, reference_ids: np.ndarray,
                 threshold: float | None) -> None:
        self.candidate_identities = identities
        self.candidate_scores = scores
        self.candidate_reference_ids = reference_ids
        self.threshold = threshold

    def __len__(self) -> int:
        return len(self.candidate_scores)

    @property
    def score(self) -> np.ndarray:
        """Best score per probe (NaN for an empty gallery)."""
        if self.candidate_scores.shape[1] == 0:
            return np.full(len(self), np.nan)
        return self.candidate_scores[:, 0]

    @property
    def known(self) -> np.ndarray | None:
        """Per probe: does the best score reach the threshold? None without a threshold."""
        if self.threshold is None:
            return None
        best = self.score
        return np.where(np.isnan(best), False, best >= self.threshold)

    @property
    def identity(self) -> np.ndarray:
        """Per probe: the identified identity, None where unknown (see :class:`Identification`)."""
        best = (self.candidate_identities[:, 0] if self.candidate_identities.shape[1]
                else np.full(len(self), None))
        known = self.known
        return best if known is None else np.where(known, best, None)

    def __getitem__(self, i: int) -> Identification:  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]  # type: ignore[return-value]
        row_ids, row_scores = self.candidate_identities[i], self.candidate_scores[i]
        refs = self.candidate_reference_ids[i]
        candidates = [Candidate(str(row_ids[j]), float(row_scores[j]), int(refs[j]))
                      for j in range(len(refs)) if refs[j] >= 0]
        best = candidates[0] if candidates else None
        known = None
        if self.threshold is not None:
            known = bool(best is not None and best.score >= self.threshold)
        return Identification(identity=best.identity if best and known is not False else None,
                              score=best.score if best else None, known=known,
                              threshold=self.threshold, candidates=candidates)

    def __iter__(self) -> Iterator[Identification]:
        return (self[i] for i in range(len(self)))

    def to_dicts(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self]

    def __repr__(self) -> str:
        return (f"Identifications({len(self)} probes, k={self.candidate_scores.shape[1]}, "
                f"threshold={self.threshold})")


@dataclass(frozen=True)
class Verification:
    """Is the probe the claimed ``identity``? ``score`` aggregates the scores against each of the
    identity's references (``aggregate``: "max" or "mean"); ``accepted = score >= threshold``."""

    identity: str
    accepted: bool
    score: float
    threshold: float
    aggregate: str
    n_references: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IdentityInfo:
    """One enrolled identity, as listed by :meth:`Gallery.list`."""

    identity: str
    n_references: int
    metadata: dict
    created: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
