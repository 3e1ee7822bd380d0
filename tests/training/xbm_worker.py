"""A short Trainer.fit with a cross-batch memory (XBM) around SupCon, in each of 2 processes
(run under torchrun) or in one; the test compares the queues and the weights.

``python -m torch.distributed.run --standalone --nproc_per_node 2 xbm_worker.py OUT`` writes
``OUT/xbm_rank{r}.pt``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

import siamkit as sk
from siamkit.training import distributed
from training_helpers import batches, tiny_model


def xbm_fit(checkpoint_dir=None, epochs=2, resume=None):
    """Weights, queue and losses after ``epochs`` over 3 labelled batches of 16 (every rank keeps
    its rows of each batch, so a step sees the same 16 samples with 1 or 2 processes)."""
    model = tiny_model(seed=0)
    loss = sk.losses.CrossBatchMemory(sk.losses.SupConLoss(0.5), memory_size=40, start_after=1)
    trainer = sk.Trainer(model, loss, optimizer="sgd", epochs=epochs, lr=0.05, seed=3,
                         progress=False, checkpoint_dir=checkpoint_dir)
    history = trainer.fit(batches("labelled", 3, p=4, k=4), resume=resume)
    return {
        "weights": {k: v.clone() for k, v in model.state_dict().items()},
        "queue": {k: v.clone() for k, v in loss.state_dict().items()},
        "train_loss": torch.tensor(history["train_loss"], dtype=torch.float64),
    }


if __name__ == "__main__":
    torch.set_num_threads(1)
    out = Path(sys.argv[1])
    created = distributed.setup()
    assert distributed.world_size() == 2, "run me with 2 processes"
    result = xbm_fit(out / "ckpt")
    torch.save(result, out / f"xbm_rank{distributed.rank()}.pt")
    distributed.barrier()
    if created:
        distributed.cleanup()
