"""One training run of the resume tests, shared by the in-process tests and the subprocess that is
killed with SIGKILL: ``python resume_worker.py CHECKPOINT_DIR HANG_AT_CALL`` trains and, at the given
training call of the loss, prints HANG and waits to be killed."""

from __future__ import annotations

import sys
import time

import torch
from torch.utils.data import DataLoader

import siamkit as sk
from training_helpers import Contrastive, PairDataset, batches, tiny_model

EPOCHS, BATCHES_PER_EPOCH = 4, 6


class Interrupting(Contrastive):
    """Contrastive loss that calls ``action`` at training call number ``at``."""

    def __init__(self, at: int, action) -> None:
        super().__init__()
        self.at, self.action, self.calls = at, action, 0

    def forward(self, d, y):
        if torch.is_grad_enabled():
            self.calls += 1
            if self.calls == self.at:
                self.action()
        return super().forward(d, y)


def run(checkpoint_dir=None, loss=None, resume=None, model_seed=0, layered=False, **kw):
    """Dropout, a shuffling DataLoader, Adam, a cosine schedule, early stopping state, best weights:
    every piece of state that resume must bring back. Returns (trainer, model). ``layered``: the
    MLP names its two linear layers (``layer_groups``), for layer-wise learning-rate decay."""
    model = tiny_model(seed=model_seed, dropout=0.2)
    if layered:
        model.encoder.layer_groups = lambda: [["net.0.weight", "net.0.bias"],
                                              ["net.3.weight", "net.3.bias"]]
    loader = DataLoader(PairDataset(8 * BATCHES_PER_EPOCH), batch_size=8, shuffle=True)
    settings = dict(
        epochs=EPOCHS,
        lr=1e-2,
        scheduler="cosine",
        early_stopping_metric="val_loss",
        patience=10,
        checkpoint_dir=checkpoint_dir,
        progress=False,
        seed=5,
    )
    settings.update(kw)
    trainer = sk.Trainer(model, loss or Contrastive(), **settings)
    trainer.fit(loader, batches("pairs", 2, seed=11), resume=resume)
    return trainer, model


if __name__ == "__main__":
    torch.set_num_threads(1)

    def hang():
        print("HANG", flush=True)
        time.sleep(600)

    run(sys.argv[1], loss=Interrupting(int(sys.argv[2]), hang), checkpoint_every_steps=4)
