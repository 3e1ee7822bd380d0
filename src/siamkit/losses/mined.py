"""A triplet loss on the triplets a miner picks: composes a :class:`TripletLoss` with a miner.

The pattern of pytorch-metric-learning (Musgrave et al., "A Metric Learning Reality Check", ECCV
2020): the miner chooses index triplets without gradients, the loss is computed on the indexed
embeddings. E.g. ``MinedTripletLoss(TripletLoss(0.2), SemiHardTripletMiner(0.2))`` trains on the
semi-hard triplets of Schroff et al. (2015). From a config, where no module can be written,
``[loss] name = "mined_triplet"`` with ``args = { miner = "semihard", margin = 0.2 }`` builds the
triplet loss from ``margin`` and the model's distance, and the named miner with the same distance
(and margin, where the miner takes one).
"""

from __future__ import annotations

import inspect

from torch import Tensor, nn

from ..distances import Distance
from ..errors import ConfigError
from ..geometry import check_labelled
from ..registry import LOSSES, MINERS
from ._base import SiamkitLoss
from .triplet import TripletLoss


@LOSSES.register("mined_triplet", input_kind="labelled", inputs="embeddings [B, D], labels [B]",
                 paper="Musgrave et al. 2020")
class MinedTripletLoss(SiamkitLoss):
    """``loss(embeddings[a], embeddings[p], embeddings[n])`` for ``(a, p, n) = miner(embeddings,
    labels)``.

    Inputs: ``embeddings`` float ``[B, D]`` and ``labels`` ``[B]`` class ids (equal id = same
    class, label 1 = same). ``loss`` is a :class:`TripletLoss` (or any module taking
    ``(anchor, positive, negative)``), ``miner`` any :class:`siamkit.miners.TripletMiner` or the
    name of a registered one (default ``"hard"``). Without ``loss``, a :class:`TripletLoss` of
    ``margin`` (default 1.0) and ``distance`` (default "euclidean") is built; a named miner is built
    with that ``distance`` and ``margin`` where its constructor takes them, else its defaults.
    ``margin`` and ``distance`` are for that case only: with a ``loss`` module, set them on it. A
    batch where the miner finds nothing gives a zero loss (see ``degenerate_batches``).
    ``input_kind = "labelled"``.
    """

    input_kind = "labelled"

    def __init__(self, loss: nn.Module | None = None, miner: nn.Module | str | None = None, *,
                 margin: float | None = None, distance: str | Distance | None = None) -> None:
        super().__init__()
        if loss is not None and not isinstance(loss, nn.Module):  # a TOML table cannot be one
            raise ConfigError(f"mined_triplet: loss must be a module taking (anchor, positive, "
                              f"negative), got {type(loss).__name__}")
        if loss is not None and (margin is not None or distance is not None):
            raise ConfigError("mined_triplet: margin and distance build the triplet loss when no "
                              "loss is given; with a loss module, set them on it")
        settings = {k: v for k, v in (("margin", margin), ("distance", distance)) if v is not None}
        self.loss = loss if loss is not None else TripletLoss(**settings)
        # A name (a config's ``[loss.args] miner = "semihard"``) is built here.
        miner = "hard" if miner is None else miner
        if isinstance(miner, str):
            cls = MINERS.get(miner, "loss mined_triplet: miner:")
            takes = inspect.signature(cls).parameters
            miner = cls(**{k: v for k, v in settings.items() if k in takes})
        self.miner = miner

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        labels = check_labelled(embeddings, labels)
        a, p, n = self.miner(embeddings, labels)
        if a.numel() == 0:
            return self._zero_loss(f"{type(self.miner).__name__} found no triplet", embeddings)
        return self.loss(embeddings[a], embeddings[p], embeddings[n])
