"""The trainer on siamkit.data loaders: every batch kind they make, and exact resume with them."""

from __future__ import annotations

import pytest
import torch

import siamkit as sk
from siamkit.data import PairData, make_loader
from training_helpers import (
    DIM,
    MNRL,
    Contrastive,
    CosineMSE,
    SoftLabelled,
    Triplet,
    assert_same_weights,
    clusters,
    tiny_model,
)


def duplicates(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    x1 = torch.randn(n, DIM, generator=g)
    return PairData(x1, x1 + 0.1 * torch.randn(n, DIM, generator=g), torch.ones(n), name="dups")


def scored(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return PairData(
        torch.randn(n, DIM, generator=g),
        torch.randn(n, DIM, generator=g),
        torch.rand(n, generator=g),
        name="scored",
    )


CASES = {
    "pairs": (Contrastive, clusters, {}),
    "triplets": (Triplet, clusters, {}),
    "labelled": (SoftLabelled, clusters, {"samples_per_class": 2}),
    "duplicates": (MNRL, duplicates, {}),
    "scored_pairs": (CosineMSE, scored, {}),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_siamkit_loader_trains_and_validates(kind):
    loss_cls, make_data, options = CASES[kind]
    train = make_loader(kind, make_data(seed=0), 8, seed=1, **options)
    val = make_loader(kind, make_data(seed=2), 8, seed=3, shuffle=False, **options)
    history = sk.Trainer(tiny_model(), loss_cls(), epochs=2, progress=False).fit(train, val)
    assert history["steps"] == [len(train)] * 2
    for key in sk.training.metric_names(kind):
        assert all(v is not None for v in history[key]), key


def _run(folder, loss=None, resume=None):
    model = tiny_model(dropout=0.2)
    train = make_loader("pairs", clusters(), 8, seed=4)
    trainer = sk.Trainer(
        model,
        loss or Contrastive(),
        epochs=3,
        lr=1e-2,
        progress=False,
        seed=2,
        checkpoint_dir=folder,
        checkpoint_every_steps=5,
        keep_best=False,
    )
    trainer.fit(train, resume=resume)
    return model


def test_resume_mid_epoch_with_a_siamkit_loader_repeats_the_run(tmp_path):
    straight = _run(tmp_path / "a")

    class CrashAt(Contrastive):
        calls = 0

        def forward(self, d, y):
            CrashAt.calls += 1
            if CrashAt.calls == 11:
                raise RuntimeError("crash")
            return super().forward(d, y)

    with pytest.raises(RuntimeError, match="crash"):
        _run(tmp_path / "b", loss=CrashAt())
    ckpt = sk.training.load_checkpoint(tmp_path / "b")
    assert ckpt["step"] == 10 and ckpt["batch"] > 0  # a step checkpoint in mid-epoch
    assert_same_weights(_run(tmp_path / "b", resume=True), straight)
