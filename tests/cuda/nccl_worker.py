"""One process of the NCCL smoke test, run under torchrun: ``nccl_worker.py OUT``.

With one process siamkit does not start a process group (``distributed.setup`` is a no-op for
WORLD_SIZE 1), so the worker joins an NCCL group itself: that still checks that NCCL starts on this
machine and that the trainer runs inside such a group. With several processes ``Trainer.fit`` starts
the group (NCCL, since CUDA is present) and trains under DistributedDataParallel. Each rank writes
``OUT/rank{r}.pt``: the backend, an all-reduce over the ranks, and the weights after training.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist

import siamkit as sk
from siamkit.data import make_loader
from siamkit.losses import ContrastiveLoss
from siamkit.training import Callback

sys.path.insert(0, str(Path(__file__).parent))
from cuda_helpers import mlp_model, vector_pairs, weights  # noqa: E402


class GroupProbe(Callback):
    """Inside the running fit: which backend the group uses, and one all-reduce through it."""

    def on_train_start(self, trainer):
        self.backend = dist.get_backend()
        value = torch.tensor([float(dist.get_rank() + 1)], device=trainer.device_)
        dist.all_reduce(value)
        self.all_reduce = float(value)
        self.device = str(trainer.device_)


def main(out: Path) -> None:
    own_group = int(os.environ.get("WORLD_SIZE", "1")) == 1
    if own_group:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl")
    probe = GroupProbe()
    model = mlp_model()
    trainer = sk.Trainer(model, ContrastiveLoss(margin=1.0), lr=1e-2, epochs=2, device="auto",
                         amp=False, progress=False, seed=0, callbacks=[probe])
    history = trainer.fit(make_loader("pairs", vector_pairs(), 64, seed=0))
    rank = int(os.environ.get("RANK", "0"))
    torch.save({"backend": probe.backend, "all_reduce": probe.all_reduce, "device": probe.device,
                "world_size": int(os.environ.get("WORLD_SIZE", "1")),
                "train_loss": history["train_loss"], "weights": weights(model)},
               out / f"rank{rank}.pt")
    if own_group:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
