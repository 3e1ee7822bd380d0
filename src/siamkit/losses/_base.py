"""Pieces every siamkit loss shares: input checks and the handling of degenerate batches.

A *degenerate* batch is one a loss can learn nothing from: a labelled batch where every class
appears once (no positive pair) or where all samples share one class (no negative), or a batch of
duplicate pairs of size one (no in-batch negative). Such batches happen in real training (a small
last batch, an unlucky sampler), so a loss must not crash or return NaN on them: it returns a zero
that is still connected to the inputs (so ``backward()`` works and gives a zero gradient), counts
the batch in ``degenerate_batches`` and warns once per loss object.

Labels follow siamkit's convention throughout: **1 = same**, 0 = different; class ids for
labelled batches are integers, equal ids meaning the same class.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

from torch import Tensor, nn

from ..distances import Distance, get_distance
from ..errors import ConfigError, DataError, SiamkitWarning
# The batch checks live with the in-batch geometry; the losses take them from here.
from ..geometry import check_embeddings, check_labelled, check_vector  # noqa: F401


class SiamkitLoss(nn.Module):
    """Base class: an ``nn.Module`` with an ``input_kind`` and a degenerate-batch counter.

    ``input_kind`` tells the trainer what the loss consumes: ``"pair_distances"``,
    ``"pair_logits"``, ``"triplets"``, ``"labelled"``, ``"duplicates"`` or ``"scored_pairs"``.
    """

    input_kind: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self.degenerate_batches = 0
        self._warned_degenerate = False

    def _zero_loss(self, reason: str, *inputs: Tensor) -> Tensor:
        """A zero loss with a (zero) gradient path to ``inputs``; counts and warns once."""
        self.degenerate_batches += 1
        if not self._warned_degenerate:
            self._warned_degenerate = True
            warnings.warn(
                f"{type(self).__name__}: {reason}; the loss is 0 for such batches "
                f"(counted in .degenerate_batches, warned once)",
                SiamkitWarning,
                stacklevel=3,
            )
        # An empty slice sums to exactly 0 (even where inputs hold inf) and keeps the graph.
        floats = [x for x in inputs if x.is_floating_point()]
        zero = floats[0].new_zeros(())
        for x in floats:
            zero = zero + x.flatten()[:0].sum()
        return zero


def resolve_distance(distance: str | Distance) -> Distance:
    """The :class:`Distance` for a name (a ConfigError names the argument if unknown)."""
    return get_distance(distance)


def as_distance(dist: Distance, values: Tensor) -> Tensor:
    """Values of ``dist`` turned into something where smaller = closer (negate similarities)."""
    return -values if dist.is_similarity else values


def check_same_shape(a: Tensor, b: Tensor, names: tuple[str, str]) -> None:
    check_embeddings(a, names[0])
    check_embeddings(b, names[1])
    if a.shape != b.shape:
        raise DataError(
            f"{names[1]}: shape {tuple(b.shape)} does not match {names[0]} {tuple(a.shape)}"
        )


def positive_float(value: object, name: str) -> float:
    """``value`` as a float, or a ConfigError naming ``name`` when it is not > 0."""
    if not float(value) > 0:  # type: ignore[arg-type]
        raise ConfigError(f"{name}: must be > 0, got {value!r}")
    return float(value)  # type: ignore[arg-type]
