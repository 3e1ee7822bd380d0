"""Length-bucketed batches: texts of similar token length batched together, to cut padding.

Each epoch the examples are shuffled (seeded by ``(seed, epoch)``), cut into mega-batches of
``bucket_batches * batch_size`` examples, sorted by length inside each mega-batch, cut into
batches, and the batches shuffled again; so batches stay random across the epoch while each holds
texts of similar length (the "sortish" sampling of fastai / ULMFiT, Howard & Ruder 2018).
Every example appears exactly once per epoch; the plan depends on ``(seed, epoch)`` only, so a
resumed run sees the batches of an uninterrupted one.

Only for losses whose objective does not depend on which examples share a batch (given pairs or
triplets): with in-batch negatives (multiple negatives ranking, batch-hard) the negatives would
all be texts of the same length, a shortcut the model could learn.
Not yet wired into the loaders or the config (see the report of branch finetune13).
"""

from __future__ import annotations

import numpy as np

from ..seeding import SeedLike
from .samplers import EpochBatchSampler, _positive


class LengthBucketBatchSampler(EpochBatchSampler):
    """Batches of ``batch_size`` over ``range(len(lengths))``, bucketed by ``lengths``."""

    def __init__(self, lengths, batch_size: int, *, seed: SeedLike = 0, shuffle: bool = True,
                 drop_last: bool = False, bucket_batches: int = 50, rank: int | None = None,
                 world_size: int | None = None) -> None:
        super().__init__(seed, shuffle, rank, world_size)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.n = len(self.lengths)
        self.batch_size = _positive(batch_size, "batch_size")
        self.bucket_batches = _positive(bucket_batches, "bucket_batches")
        self.drop_last = drop_last

    def num_global_batches(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + (0 if self.drop_last or not rest else 1)

    def global_batches(self, rng: np.random.Generator) -> list[np.ndarray]:
        order = rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        mega = self.bucket_batches * self.batch_size
        batches = []
        for start in range(0, self.n, mega):
            chunk = order[start:start + mega]
            # stable sort: equal lengths keep their shuffled order
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [chunk[i:i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        # only the epoch's last mega-batch can end in a short batch
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches
