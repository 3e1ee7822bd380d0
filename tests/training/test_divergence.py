"""A diverging run (lr 1e6: a finite loss of 1e25) warns on the console and in the history; a
non-finite loss stops it; a healthy run says nothing."""

from __future__ import annotations

import json
import warnings

import pytest

import siamkit as sk
from siamkit.errors import SiamkitWarning, TrainingError
from training_helpers import Contrastive, batches, tiny_model


def test_an_exploding_loss_is_warned_about_and_recorded(tmp_path):
    # Adam bounds each step by lr, so the loss explodes (to ~1e24) but stays finite: the run
    # the issue saw end with exit status 0 and no word.
    trainer = sk.Trainer(tiny_model(), sk.losses.ContrastiveLoss(), epochs=3, lr=1e6,
                         optimizer="adam", progress=False, checkpoint_dir=tmp_path)
    with pytest.warns(SiamkitWarning, match=r"training is diverging: the loss reached .* times"):
        history = trainer.fit(batches("pairs", 4))
    assert history.stop_reason == "completed" and min(history["train_loss"]) > 1e20
    found = history.meta["divergence"]
    assert found["ratio"] >= 1e3 and found["epoch"] == 1
    assert history.epochs[0]["diverging"] is True
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["divergence"]["step"] == found["step"]


def test_a_healthy_run_says_nothing(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SiamkitWarning)
        history = sk.Trainer(tiny_model(), Contrastive(), epochs=2, lr=1e-2,
                             progress=False).fit(batches("pairs", 4))
    assert history.meta["divergence"] is None
    assert not any(e.get("diverging") for e in history.epochs)


def test_a_non_finite_loss_stops_with_a_clear_error():
    class Inf(Contrastive):
        def forward(self, d, y):
            return super().forward(d, y) * float("inf")

    with pytest.raises(TrainingError, match="the loss became inf at epoch 1, batch 1"):
        sk.Trainer(tiny_model(), Inf(), epochs=1, progress=False).fit(batches("pairs", 2))
