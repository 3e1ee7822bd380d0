"""Checkpoint files: atomic writes, loading without pickle, RNG states round trip."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import siamkit as sk
from siamkit.errors import ConfigError, ModelFileError
from siamkit.training import checkpoint as ckpt_mod
from siamkit.training.checkpoint import (
    check_safe,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from training_helpers import Contrastive, batches, tiny_model


def _train(folder, epochs, resume=None):
    model = tiny_model()
    sk.Trainer(model, Contrastive(), epochs=epochs, progress=False, checkpoint_dir=folder).fit(
        batches("pairs", 2), resume=resume
    )
    return model


def test_a_crash_while_saving_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    _train(tmp_path, epochs=1)
    good = (tmp_path / "last.pt").read_bytes()
    real_save = torch.save

    def half_then_crash(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        with open(f, "r+b") as fh:  # a partial file on disk, as a crash in mid-write leaves
            fh.truncate(len(good) // 2)
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(ckpt_mod.torch, "save", half_then_crash)
    with pytest.raises(OSError, match="simulated"):
        _train(tmp_path, epochs=2, resume=True)
    monkeypatch.undo()
    assert (tmp_path / "last.pt").read_bytes() == good
    assert load_checkpoint(tmp_path)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "history.json",
        "last.pt",
    ]  # no temp file left


def test_checkpoints_load_with_weights_only_and_hold_the_run_state(tmp_path):
    _train(tmp_path, epochs=2)
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["format"] == "siamkit-checkpoint" and state["epoch"] == 2 and state["step"] == 4
    for key in (
        "model",
        "optimizer",
        "scheduler",
        "scaler",
        "rng",
        "history",
        "best",
        "callbacks",
        "run",
    ):
        assert key in state


class Payload:
    def __reduce__(self):
        return (print, ("this would run on load",))


def test_a_checkpoint_that_needs_pickle_is_refused(tmp_path):
    torch.save({"format": "siamkit-checkpoint", "evil": Payload()}, tmp_path / "last.pt")
    with pytest.raises(ModelFileError, match="not a readable siamkit checkpoint"):
        load_checkpoint(tmp_path)


def test_truncated_foreign_and_missing_files_are_clear_errors(tmp_path):
    _train(tmp_path, epochs=1)
    data = (tmp_path / "last.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelFileError, match="cut.pt: not a readable"):
        load_checkpoint(tmp_path / "cut.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ModelFileError, match="not a siamkit training checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(ModelFileError, match="no such file"):
        load_checkpoint(tmp_path / "nope.pt")


def test_rng_states_round_trip_through_a_weights_only_file(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    np.random.normal()  # leave a cached gaussian
    save_checkpoint(tmp_path / "r.pt", {"rng": rng_state()})
    want = (random.random(), np.random.normal(), torch.rand(3))
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    set_rng_state(load_checkpoint(tmp_path / "r.pt")["rng"])
    got = (random.random(), np.random.normal(), torch.rand(3))
    assert got[0] == want[0] and got[1] == want[1] and torch.equal(got[2], want[2])


def test_state_that_would_need_pickle_is_refused_when_saving():
    check_safe({"a": [1, 2.0, "x", None, torch.zeros(1)]}, "ok")
    with pytest.raises(ConfigError, match="loader state.gen: a Generator"):
        check_safe({"gen": np.random.default_rng(0)}, "loader state")
