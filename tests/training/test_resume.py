"""Resume: an interrupted run, continued from its checkpoint, ends with the weights of a run that was
never interrupted (CPU, exactly). Interruptions: an exception (a crash) after an epoch checkpoint or
a step checkpoint, Ctrl-C (SIGINT), and a real process killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from siamkit.errors import ConfigError, SiamkitWarning
from siamkit.training import load_checkpoint
from resume_worker import BATCHES_PER_EPOCH as B, Interrupting, run
from training_helpers import assert_same_weights, batches, tiny_model, Contrastive

HERE = Path(__file__).parent


class Crash(RuntimeError):
    pass


def _crash():
    raise Crash("simulated crash")


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The uninterrupted run: final weights (best restored), last-epoch weights, history."""
    folder = tmp_path_factory.mktemp("straight")
    trainer, model = run(folder)
    return {
        "model": {k: v.clone() for k, v in model.state_dict().items()},
        "last": load_checkpoint(folder)["model"],
        "history": trainer.history_.to_dict(),
    }


def _check_same(straight, folder, trainer, model):
    assert_same_weights(load_checkpoint(folder)["model"], straight["last"])
    assert_same_weights(model, straight["model"])
    got = trainer.history_.to_dict()
    for key in ("train_loss", "val_loss", "lr", "steps", "samples"):
        assert [e[key] for e in got["epochs"]] == [e[key] for e in straight["history"]["epochs"]], (
            key
        )
    assert got["best_epoch"] == straight["history"]["best_epoch"]


def test_the_straight_run_has_epoch_to_epoch_randomness(straight):
    # premise of the other tests: shuffling and dropout make the epochs differ
    assert len(set(e["train_loss"] for e in straight["history"]["epochs"])) == 4


def test_crash_after_an_epoch_checkpoint_resumes_to_the_same_weights(straight, tmp_path):
    with pytest.raises(Crash):
        run(tmp_path, loss=Interrupting(2 * B + 3, _crash))  # during epoch 3
    assert load_checkpoint(tmp_path)["epoch"] == 2
    trainer, model = run(tmp_path, resume=True, model_seed=123)  # a new model object, other init
    _check_same(straight, tmp_path, trainer, model)


def test_crash_after_a_step_checkpoint_resumes_mid_epoch_to_the_same_weights(straight, tmp_path):
    with pytest.raises(Crash):
        run(tmp_path, loss=Interrupting(2 * B + 5, _crash), checkpoint_every_steps=4)
    ckpt = load_checkpoint(tmp_path)
    assert (ckpt["epoch"], ckpt["batch"], ckpt["step"]) == (2, 4, 16)  # mid-epoch 3
    trainer, model = run(tmp_path, resume=tmp_path / "last.pt", model_seed=7)
    _check_same(straight, tmp_path, trainer, model)


def test_ctrl_c_saves_a_checkpoint_at_the_step_and_resumes_to_the_same_weights(straight, tmp_path):
    def ctrl_c():
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(
        KeyboardInterrupt, match=r"interrupted at epoch 2, batch 3; checkpoint saved to .*last\.pt"
    ):
        run(tmp_path, loss=Interrupting(B + 3, ctrl_c))
    ckpt = load_checkpoint(tmp_path)
    assert (ckpt["epoch"], ckpt["batch"], ckpt["step"]) == (1, 3, B + 3)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler put back
    trainer, model = run(tmp_path, resume=True, model_seed=7)
    _check_same(straight, tmp_path, trainer, model)


@pytest.mark.slow
def test_a_process_killed_with_sigkill_resumes_to_the_same_weights(straight, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "resume_worker.py"), str(tmp_path), str(B + 5)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "HANG", proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        proc.kill()
    ckpt = load_checkpoint(tmp_path)
    assert (ckpt["epoch"], ckpt["batch"]) == (1, 2)  # step 8: epoch 2, batch 2
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        trainer, model = run(tmp_path, resume=True, model_seed=7)
    finally:
        torch.set_num_threads(threads)
    _check_same(straight, tmp_path, trainer, model)


def test_more_epochs_continue_a_finished_run_as_if_it_had_been_one_run(tmp_path):
    _, one = run(tmp_path / "a", scheduler=None, epochs=4, keep_best=False)
    run(tmp_path / "b", scheduler=None, epochs=2, keep_best=False)
    _, two = run(tmp_path / "b", scheduler=None, epochs=4, keep_best=False, resume=True)
    assert_same_weights(one, two)


def test_an_early_stopped_run_stays_stopped_on_resume(tmp_path):
    kw = dict(early_stopping_metric="train_loss", mode="max", patience=1, epochs=6)
    first, _ = run(tmp_path, **kw)
    again, _ = run(tmp_path, resume=True, **kw)
    assert len(first.history_) == len(again.history_) < 6
    assert again.history_.stop_reason == "early_stopping" and again.step_ == first.step_


def test_resume_true_needs_a_checkpoint_dir_and_starts_fresh_when_it_is_empty(tmp_path):
    with pytest.raises(ConfigError, match="checkpoint_dir"):
        run(None, resume=True)
    with pytest.warns(SiamkitWarning, match="no checkpoint"):
        trainer, _ = run(tmp_path, resume=True, epochs=1)
    assert trainer.epoch_ == 1


def test_resume_with_another_model_shape_is_a_clear_error(tmp_path):
    import siamkit as sk
    from siamkit.errors import ModelFileError

    run(tmp_path, epochs=1)
    wide = sk.SiameseNetwork(
        sk.encoders.create_encoder("mlp", input_dim=4, embedding_dim=5, hidden_dims=[8])
    )
    with pytest.raises(ModelFileError, match="does not fit"):
        sk.Trainer(wide, Contrastive(), epochs=2, progress=False).fit(
            batches("pairs", 1), resume=tmp_path
        )


class StatefulLoader:
    """A loader with set_epoch and state_dict, like siamkit's samplers."""

    batch_kind = "pairs"

    def __init__(self):
        self.epochs, self.state = [], {"seed": 0}
        self.data = batches("pairs", 3)

    def set_epoch(self, epoch):
        self.epochs.append(epoch)

    def state_dict(self):
        return dict(self.state)

    def load_state_dict(self, state):
        self.state = dict(state)

    def __iter__(self):
        return iter(self.data)

    def __len__(self):
        return len(self.data)


def test_loader_epoch_and_state_are_handed_over(tmp_path):
    import siamkit as sk

    loader = StatefulLoader()
    loader.state["seed"] = 42
    sk.Trainer(tiny_model(), Contrastive(), epochs=2, progress=False, checkpoint_dir=tmp_path).fit(
        loader
    )
    assert loader.epochs == [0, 1]
    fresh = StatefulLoader()
    sk.Trainer(tiny_model(), Contrastive(), epochs=3, progress=False, checkpoint_dir=tmp_path).fit(
        fresh, resume=True
    )
    assert fresh.state == {"seed": 42} and fresh.epochs == [2]


def test_a_checkpoint_written_before_the_restructure_resumes_the_same_run(straight, tmp_path):
    # fixtures/checkpoint_v1: written by the Trainer of commit 56350b8 at epoch 3, batch 4 of the
    # run of `straight` (see fixtures/make_checkpoint_v1.py). Its first 16 steps ran on the machine
    # that made it, so the weights are compared to rounding, not bit for bit.
    import shutil

    folder = shutil.copytree(HERE / "fixtures" / "checkpoint_v1", tmp_path / "run")
    ckpt = load_checkpoint(folder)
    assert (ckpt["epoch"], ckpt["batch"], ckpt["step"]) == (2, 4, 16)
    trainer, model = run(folder, resume=True, model_seed=7)
    # The last layer's bias moves every embedding alike, so no distance (and no loss) sees it: its
    # gradient is rounding noise that Adam scales up, and it differs from machine to machine. The
    # run is the same when everything the loss sees is: the other weights and the distances.
    weights = {k: v for k, v in model.state_dict().items() if k != "encoder.net.3.bias"}
    assert_same_weights(weights, {k: straight["model"][k] for k in weights}, atol=1e-5)
    again = tiny_model(dropout=0.2)
    again.load_state_dict(straight["model"])
    x1, x2, _ = batches("pairs", 1, seed=3)[0]
    with torch.no_grad():
        torch.testing.assert_close(model.eval().distance(x1, x2), again.eval().distance(x1, x2),
                                   atol=1e-5, rtol=0)
    got = trainer.history_.to_dict()
    want = straight["history"]
    assert [e["steps"] for e in got["epochs"]] == [e["steps"] for e in want["epochs"]]
    assert [e["train_loss"] for e in got["epochs"]] == pytest.approx(
        [e["train_loss"] for e in want["epochs"]], rel=1e-5
    )
    assert got["best_epoch"] == want["best_epoch"] and trainer.step_ == 4 * B


def test_checkpoints_keep_the_layout_of_the_checkpoints_written_before_the_restructure(tmp_path):
    run(tmp_path, epochs=1)
    old, new = load_checkpoint(HERE / "fixtures" / "checkpoint_v1"), load_checkpoint(tmp_path)
    # Keys added since, each read with a default from older checkpoints (issue 16: divergence).
    added = {"divergence"}
    assert set(old) <= set(new) and set(new) - set(old) <= added
    for key in ("epoch_stats", "best", "run", "history"):
        if old[key] is not None and new[key] is not None:
            assert set(old[key]) <= set(new[key]), key
            assert set(new[key]) - set(old[key]) <= added, key


# ---- the fine-tuning controls: a crash and a resume repeat the run exactly -----------------------

CONTROLS = {
    # 6 batches an epoch in groups of 4: steps end at batches 4 and 6; the crash at batch 3 of
    # epoch 3 is in the middle of a group
    "accumulation": (dict(accumulate_steps=4, checkpoint_every_steps=1), 2 * B + 3, (2, 0, 4)),
    # frozen for two epochs: the crash comes just after the boundary
    "freeze_epochs": (dict(freeze_backbone_epochs=2), 2 * B + 1, (2, 0, 2 * B)),
    # frozen for 9 steps, checkpoints every 4: resumed at step 8, the boundary still ahead
    "freeze_steps": (dict(freeze_backbone_steps=9, checkpoint_every_steps=4), B + 4, (1, 2, 8)),
    "warmup_cosine": (dict(scheduler=None, warmup_steps=5, step_schedule="cosine",
                           checkpoint_every_steps=4, backbone_lr=3e-3), 2 * B + 5, (2, 4, 16)),
}


@pytest.mark.parametrize("control", sorted(CONTROLS))
def test_fine_tuning_controls_resume_to_the_same_weights(control, tmp_path):
    kw, crash_at, where = CONTROLS[control]
    straight_trainer, straight_model = run(tmp_path / "straight", **kw)
    straight = {"model": {k: v.clone() for k, v in straight_model.state_dict().items()},
                "last": load_checkpoint(tmp_path / "straight")["model"],
                "history": straight_trainer.history_.to_dict()}
    with pytest.raises(Crash):
        run(tmp_path / "run", loss=Interrupting(crash_at, _crash), **kw)
    ckpt = load_checkpoint(tmp_path / "run")
    assert (ckpt["epoch"], ckpt["batch"], ckpt["step"]) == where
    trainer, model = run(tmp_path / "run", resume=True, model_seed=7, **kw)
    _check_same(straight, tmp_path / "run", trainer, model)
