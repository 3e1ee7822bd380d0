"""The work of each process in the 2-process tests (run under torchrun), and the same work in one
process on the combined batch, for comparison.

``python -m torch.distributed.run --standalone --nproc_per_node 2 distributed_worker.py OUT`` writes
``OUT/rank{r}.pt``: per case, the loss and the gradients of one DDP step on this rank's rows of the
batch, and the weights after a short ``Trainer.fit``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch.utils.data import DataLoader, DistributedSampler

import siamkit as sk
from siamkit.data import make_loader
from siamkit.training import distributed
from siamkit.training.steps import TrainStep
from training_helpers import (
    MNRL,
    Contrastive,
    PairDataset,
    SoftLabelled,
    Triplet,
    batches,
    clusters,
    tiny_model,
)


def _real(name):
    """A loss from siamkit.losses when that package is present (None otherwise)."""
    try:
        import siamkit.losses as losses
    except ImportError:
        return None
    return getattr(losses, name, None)


def step_cases():
    """name -> (batch kind, loss factory, full batch). Gathered kinds use uneven shards too."""
    cases = {
        "pairs_contrastive": ("pairs", Contrastive, batches("pairs", 1, n=8)[0]),
        "triplets": ("triplets", Triplet, batches("triplets", 1, n=8)[0]),
        "labelled_soft": ("labelled", SoftLabelled, batches("labelled", 1, p=4, k=2)[0]),
        "labelled_soft_uneven": (
            "labelled",
            SoftLabelled,
            tuple(t[:7] for t in batches("labelled", 1, p=4, k=2)[0]),
        ),
        "duplicates_mnrl": ("duplicates", MNRL, batches("duplicates", 1, n=8)[0]),
        "duplicates_mnrl_uneven": ("duplicates", MNRL, batches("duplicates", 1, n=7)[0]),
    }
    for name, kind, make in (
        ("BatchHardTripletLoss", "labelled", lambda c: c(margin=1.0)),
        ("HardNegativeTripletLoss", "duplicates", lambda c: c(margin=0.5)),
        ("MultipleNegativesRankingLoss", "duplicates", lambda c: c()),
    ):
        cls = _real(name)
        if cls is not None:
            data = (
                batches("labelled", 1, p=4, k=2)[0]
                if kind == "labelled"
                else batches("duplicates", 1, n=8)[0]
            )
            cases[name] = (kind, (lambda cls=cls, make=make: make(cls)), data)
    return cases


def one_step(kind, loss_factory, batch, rank=0, world=1):
    """Loss and gradients of one step on this rank's rows (all rows with one process)."""
    model = tiny_model(seed=0)
    step = TrainStep(model, loss_factory(), kind, gather=world > 1)
    if world > 1:
        step = torch.nn.parallel.DistributedDataParallel(step)
    rows = tuple(t.tensor_split(world)[rank] for t in batch)
    loss = step(*rows)
    loss.backward()
    return {
        "loss": loss.detach(),
        "grads": {n: p.grad.clone() for n, p in model.named_parameters()},
    }


def fit_cases(world):
    """name -> (loss, train loader, val loader). With 2 processes the DataLoader of batch 8 gives
    global steps of 16 samples, so the single-process run uses batch 16 over the same permutation."""
    ds = PairDataset(32)
    sampler = DistributedSampler(ds, num_replicas=1, rank=0, shuffle=True, seed=3)
    dataloader = (
        DataLoader(ds, batch_size=8, shuffle=True)
        if world > 1
        else DataLoader(ds, batch_size=16, sampler=sampler)
    )
    siamkit_loader = make_loader("pairs", clusters(), 8, seed=4)  # 12 batches: 6 per rank
    return {
        "fit_pairs": (Contrastive, batches("pairs", 3, n=8), batches("pairs", 2, seed=9)),
        "fit_labelled": (
            SoftLabelled,
            batches("labelled", 3, p=4, k=2),
            batches("labelled", 2, seed=9),
        ),
        "fit_dataloader": (Contrastive, dataloader, None),
        # siamkit loaders built inside the process group shard themselves by batch
        "fit_siamkit_loader": (
            Contrastive,
            siamkit_loader if world > 1 else TwoBatchesAtOnce(siamkit_loader),
            None,
        ),
    }


class TwoBatchesAtOnce:
    """One process's view of a loader sharded over 2 ranks by batch: consecutive batches of the
    global plan (rank 0 takes the even ones, rank 1 the odd ones) concatenated into one step."""

    batch_kind = "pairs"

    def __init__(self, loader):
        self.loader = loader

    def set_epoch(self, epoch):
        self.loader.set_epoch(epoch)

    def __len__(self):
        return len(self.loader) // 2

    def __iter__(self):
        it = iter(self.loader)
        for a, b in zip(it, it):
            yield tuple(torch.cat([x, y]) for x, y in zip(a, b))


def one_fit(name, loss_cls, train, val, world, checkpoint_dir=None):
    model = tiny_model(seed=0)
    # SGD, not Adam: distances ignore the last layer's bias, whose gradient is 0 up to rounding, and
    # Adam divides by the gradient's own scale, turning rounding noise into full-size steps.
    trainer = sk.Trainer(
        model,
        loss_cls(),
        optimizer="sgd",
        epochs=2,
        lr=0.05,
        seed=3,
        progress=False,
        checkpoint_dir=checkpoint_dir,
    )
    history = trainer.fit(train, val)
    return {
        "weights": {k: v.clone() for k, v in model.state_dict().items()},
        "train_loss": torch.tensor(history["train_loss"], dtype=torch.float64),
        "samples": torch.tensor(history["samples"]),
    }


if __name__ == "__main__":
    torch.set_num_threads(1)
    out = Path(sys.argv[1])
    created = distributed.setup()
    rank, world = distributed.rank(), distributed.world_size()
    assert world == 2, "run me with 2 processes"
    result = {"steps": {}, "fits": {}}
    for name, (kind, loss_factory, batch) in step_cases().items():
        result["steps"][name] = one_step(kind, loss_factory, batch, rank, world)
    for name, (loss_cls, train, val) in fit_cases(world).items():
        result["fits"][name] = one_fit(name, loss_cls, train, val, world, out / f"ckpt_{name}")
    torch.save(result, out / f"rank{rank}.pt")
    distributed.barrier()
    if created:
        distributed.cleanup()
