"""``make_loader(kind, data, batch_size, seed, ...)``: the loader for a batch kind, for the trainer.

The trainer knows the batch kind its loss consumes (``"pairs"``, ``"scored_pairs"``, ``"triplets"``,
``"labelled"``, ``"duplicates"``, ``"episodes"``; see :mod:`.loaders`, :mod:`.episodes`) and the data the user gave; this
picks the loader, checks that the data suits the kind, and turns a misspelt option into a
:class:`siamkit.errors.ConfigError` that lists the accepted ones.
"""

from __future__ import annotations

import inspect
from typing import Any

from ...batch_kinds import BATCH_FORMATS
from ...errors import ConfigError
from ..containers import LabelledData, PairData
from ..seeding import SeedLike
from .loader_base import BatchLoader
from .episodes import EpisodeLoader
from .loaders import DuplicatesLoader, LabelledLoader, PairLoader, TripletLoader

BATCH_KINDS = tuple(BATCH_FORMATS)


def make_loader(kind: str, data: LabelledData | PairData, batch_size: int | None, seed: SeedLike = 0,
                **options: Any) -> BatchLoader:
    """The loader for batch ``kind`` (one of :data:`BATCH_KINDS`) over ``data``.

    Common options: ``shuffle`` (False: the same batches each epoch, for validation),
    ``tokenizer`` and ``max_length`` (text data), ``rank``/``world_size``; ``drop_last`` for
    pairs/triplets/random labelled batches; kind-specific ones as the loader classes document
    (``"episodes"``: ``n_way``, ``k_shot``, ``n_query``, ``episodes``, and ``batch_size`` None,
    since an episode's size follows from them).
    """
    if kind not in BATCH_KINDS:
        raise ConfigError(f"batch kind {kind!r}: expected one of {', '.join(BATCH_KINDS)}")
    wants = {"pairs": (LabelledData, PairData), "scored_pairs": (PairData,),
             "triplets": (LabelledData,), "labelled": (LabelledData,), "duplicates": (PairData,),
             "episodes": (LabelledData,)}
    if not isinstance(data, wants[kind]):
        needs = " or ".join(t.__name__ for t in wants[kind])
        raise ConfigError(f"batch kind {kind!r} needs {needs}, got {type(data).__name__} "
                          f"{getattr(data, 'name', '')!r}")
    cls = {"pairs": PairLoader, "scored_pairs": PairLoader, "triplets": TripletLoader,
           "labelled": LabelledLoader, "duplicates": DuplicatesLoader,
           "episodes": EpisodeLoader}[kind]
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "data", "batch_size",
                                                                     "seed", "shard", "scored"}
    unknown = sorted(set(options) - accepted - {"rank", "world_size"})
    if unknown:
        raise ConfigError(f"batch kind {kind!r}: unknown option(s) {', '.join(unknown)}; accepted: "
                          f"{', '.join(sorted(accepted | {'rank', 'world_size'}))}")
    if cls is PairLoader:
        options["scored"] = kind == "scored_pairs"
    return cls(data, batch_size, seed, **options)
