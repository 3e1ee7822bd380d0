"""Trainer behaviour: repeatable seeds, early stopping, clipping, NaN stop, schedules, history."""

from __future__ import annotations

import json
import math
import os

import pytest
import torch
from torch.utils.data import DataLoader

import siamkit as sk
from siamkit.errors import ConfigError, SiamkitWarning, TrainingError
from siamkit.training import (
    Callback,
    History,
    HistoryLogger,
    LRLogger,
    ModelCheckpoint,
    load_checkpoint,
)
from training_helpers import (
    Contrastive,
    PairDataset,
    SoftLabelled,
    assert_same_weights,
    batches,
    tiny_model,
    weights,
)


def fit(model, loss=None, train=None, val=None, **kw):
    kw.setdefault("progress", False)
    kw.setdefault("epochs", 2)
    train = batches("pairs", 4) if train is None else train
    return sk.Trainer(model, loss or Contrastive(), **kw).fit(train, val)


# ---- seeds ------------------------------------------------------------------------------------


def test_same_seed_gives_identical_weights_and_another_seed_does_not():
    def run(seed):
        model = tiny_model(seed=0, dropout=0.2)
        loader = DataLoader(PairDataset(40), batch_size=8, shuffle=True)
        history = fit(model, train=loader, epochs=3, seed=seed)
        return weights(model), history["train_loss"]

    w1, h1 = run(3)
    w2, h2 = run(3)
    w3, _ = run(4)
    assert_same_weights(w1, w2)
    assert h1 == h2
    assert any(not torch.equal(w1[k], w3[k]) for k in w1)


# ---- early stopping and the best model --------------------------------------------------------


class RecordWeights(Callback):
    def __init__(self):
        self.per_epoch = {}

    def on_epoch_end(self, trainer, epoch, logs):
        self.per_epoch[epoch] = weights(trainer.model)


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch():
    model, rec = tiny_model(), RecordWeights()
    # train_loss falls every epoch, so with mode="max" epoch 1 is the best and 2 more epochs are "worse".
    history = fit(
        model,
        epochs=10,
        lr=1e-2,
        early_stopping_metric="train_loss",
        mode="max",
        patience=2,
        callbacks=[rec],
    )
    losses = history["train_loss"]
    assert all(b < a for a, b in zip(losses, losses[1:])), "premise: the training loss falls"
    assert len(history) == 3 and history.stop_reason == "early_stopping"
    assert history.best_epoch == 1 and history.best_metric == losses[0]
    assert_same_weights(model, rec.per_epoch[1])
    assert any(not torch.equal(rec.per_epoch[1][k], rec.per_epoch[3][k]) for k in rec.per_epoch[1])


def test_keep_best_false_keeps_the_last_weights(tmp_path):
    model, rec = tiny_model(), RecordWeights()
    fit(
        model,
        epochs=3,
        lr=1e-2,
        early_stopping_metric="train_loss",
        mode="max",
        patience=5,
        keep_best=False,
        callbacks=[rec],
        checkpoint_dir=tmp_path,
    )
    assert_same_weights(model, rec.per_epoch[3])
    assert not (tmp_path / "best").exists()


def test_best_model_directory_holds_the_best_epoch(tmp_path):
    model, rec = tiny_model(), RecordWeights()
    history = fit(
        model,
        epochs=3,
        lr=1e-2,
        val=batches("pairs", 2, seed=5),
        checkpoint_dir=tmp_path,
        callbacks=[rec],
    )
    best = sk.SiameseNetwork.load(tmp_path / "best")
    assert_same_weights(best, rec.per_epoch[history.best_epoch])
    assert history["val_loss"][history.best_epoch - 1] == min(history["val_loss"])


def test_an_unknown_monitored_metric_lists_the_recorded_ones():
    with pytest.raises(ConfigError, match="val_roc_auc.*records train_loss$"):
        fit(tiny_model(), early_stopping_metric="val_roc_auc")
    with pytest.raises(ConfigError, match="val_recall_at_1"):
        fit(tiny_model(), val=batches("pairs", 1), early_stopping_metric="val_recall_at_1")


# ---- gradient clipping ------------------------------------------------------------------------


def test_gradient_clipping_limits_the_update_to_the_clip_norm():
    model, clip = tiny_model(), 1e-3
    batch = batches("pairs", 1)[0]
    reference = tiny_model()
    Contrastive()(reference.distance(batch[0], batch[1]), batch[2]).backward()
    grads = {n: p.grad.clone() for n, p in reference.named_parameters()}
    norm = torch.linalg.vector_norm(torch.stack([g.norm() for g in grads.values()]))
    assert norm > 10 * clip, "premise: the raw gradient is much larger than the clip"
    before = dict(model.named_parameters())
    before = {n: p.detach().clone() for n, p in before.items()}
    sgd = lambda params: torch.optim.SGD(params, lr=1.0)  # noqa: E731
    fit(model, train=[batch], epochs=1, optimizer=sgd, grad_clip=clip)
    for name, p in model.named_parameters():
        torch.testing.assert_close(
            p.detach(), before[name] - grads[name] * (clip / norm), rtol=1e-4, atol=1e-7
        )


# ---- a loss that stops being finite -----------------------------------------------------------


class TurnsNaN(Contrastive):
    """Finite until training call ``at``; records the weights it sees at each training call."""

    def __init__(self, model, at, make=lambda v: v * float("nan")):
        super().__init__()
        self.model, self.at, self.make, self.calls, self.seen = [model], at, make, 0, {}

    def forward(self, d, y):
        value = super().forward(d, y)
        if not torch.is_grad_enabled():  # validation
            return value
        self.calls += 1
        self.seen[self.calls] = weights(self.model[0])
        return self.make(value) if self.calls >= self.at else value


class InfGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * float("inf")


def test_nan_loss_stops_with_epoch_and_step_and_keeps_last_good_weights_and_checkpoint(tmp_path):
    model = tiny_model()
    loss = TurnsNaN(model, at=4 + 4)  # 4 batches an epoch: the 4th batch of epoch 2
    with pytest.raises(
        TrainingError, match=r"loss became nan at epoch 2, batch 4 \(step 8\).*last good step"
    ):
        fit(model, loss, epochs=3, checkpoint_dir=tmp_path)
    assert_same_weights(model, loss.seen[8])  # the weights the failing step started from
    ckpt = load_checkpoint(tmp_path)
    assert ckpt["epoch"] == 1 and ckpt["step"] == 4
    assert_same_weights(ckpt["model"], loss.seen[5])  # the weights at the end of epoch 1
    assert History.from_json(tmp_path / "history.json").stop_reason == "non_finite"


def test_a_non_finite_gradient_stops_before_the_update():
    model = tiny_model()
    loss = TurnsNaN(model, at=3, make=InfGrad.apply)
    with pytest.raises(TrainingError, match=r"gradient norm became (inf|nan) at epoch 1, batch 3"):
        fit(model, loss)
    assert_same_weights(model, loss.seen[3])
    assert all(torch.isfinite(p).all() for p in model.parameters())


# ---- schedules, counters, loaders -------------------------------------------------------------


def test_cosine_schedule_sets_the_lr_of_each_epoch():
    history = fit(tiny_model(), epochs=4, lr=0.1, scheduler="cosine")
    want = [0.1 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]
    assert history["lr"] == pytest.approx(want)


def test_plateau_schedule_reads_the_monitored_metric():
    # train_loss monitored in "max" mode never improves after epoch 1: lr drops after patience 2.
    history = fit(
        tiny_model(),
        epochs=5,
        lr=0.01,
        scheduler="plateau",
        early_stopping_metric="train_loss",
        mode="max",
        patience=10,
    )
    assert history["lr"][:4] == pytest.approx([0.01] * 4) and history["lr"][4] == pytest.approx(
        0.001
    )


def test_loss_counters_are_reported_per_epoch():
    train = batches("labelled", 3, p=4, k=2) + batches(
        "labelled", 2, p=4, k=1
    )  # k=1: no positive pair
    history = fit(tiny_model(), SoftLabelled(), train=train, epochs=2)
    assert history["degenerate_batches"] == [2, 2]


def test_a_generator_used_up_after_one_epoch_is_an_error():
    with pytest.raises(TrainingError, match="epoch 2.*re-iterable"):
        fit(tiny_model(), train=(b for b in batches("pairs", 2)))


def test_a_dataloader_is_reshuffled_each_epoch_and_its_kind_read_from_the_dataset():
    seen = []

    class Spy(Contrastive):
        def forward(self, d, y):
            if torch.is_grad_enabled():
                seen.append(y.clone())
            return super().forward(d, y)

    loader = DataLoader(PairDataset(16), batch_size=16, shuffle=True)
    fit(tiny_model(), Spy(), train=loader, epochs=2)
    assert not torch.equal(seen[0], seen[1]) and sorted(seen[0].tolist()) == sorted(
        seen[1].tolist()
    )


def test_amp_true_on_cpu_warns_and_trains_in_float32():
    with pytest.warns(SiamkitWarning, match="CUDA"):
        fit(tiny_model(), amp=True, epochs=1)


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"epochs": 0}, "epochs"),
        ({"grad_clip": -1.0}, "grad_clip"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"scheduler": "linear"}, "scheduler"),
        ({"device": "cuda:7"} if not torch.cuda.is_available() else {"amp": "fp8"}, "device|amp"),
        ({"mode": "up", "early_stopping_metric": "train_loss"}, "mode"),
    ],
)
def test_bad_settings_are_config_errors_naming_the_argument(kw, match):
    with pytest.raises(ConfigError, match=match):
        fit(tiny_model(), **kw)


# ---- history and callbacks --------------------------------------------------------------------


def test_history_records_the_figures_and_round_trips_as_strict_json(tmp_path):
    trainer = sk.Trainer(
        tiny_model(), Contrastive(), epochs=2, progress=False, checkpoint_dir=tmp_path
    )
    history = trainer.fit(batches("pairs", 3), batches("pairs", 2, seed=7))
    assert history is trainer.history_ and trainer.epoch_ == 2 and trainer.step_ == 6
    entry = history.epochs[0]
    for key in (
        "epoch",
        "train_loss",
        "lr",
        "time_s",
        "samples_per_s",
        "steps",
        "val_loss",
        "val_roc_auc",
        "val_eer",
        "val_accuracy",
    ):
        assert key in entry, key
    assert (
        history["epoch"] == [1, 2] and history["steps"] == [3, 3] and history["samples"] == [24, 24]
    )
    path = history.to_json(tmp_path / "h.json")
    data = json.loads(
        path.read_text(), parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}")
    )
    assert data["format"] == "siamkit-history" and data["monitor"] == "val_loss"
    again = History.from_json(path)
    assert again.epochs == history.epochs and again.best_epoch == trainer.best_epoch_
    assert History.from_json(tmp_path / "history.json").epochs == history.epochs
    assert trainer.best_metric_ == min(history["val_loss"])


def test_callbacks_are_called_and_builtins_write_their_files(tmp_path, caplog):
    calls = []

    class Spy(Callback):
        def on_train_start(self, trainer):
            calls.append("start")

        def on_epoch_end(self, trainer, epoch, logs):
            calls.append(epoch)

        def on_train_end(self, trainer, history):
            calls.append("end")

    lines = []
    model = tiny_model()
    fit(
        model,
        epochs=2,
        val=batches("pairs", 2, seed=7),
        callbacks=[
            Spy(),
            HistoryLogger(tmp_path / "hist.json"),
            LRLogger(lines.append),
            ModelCheckpoint(tmp_path / "model", monitor="val_loss"),
        ],
    )
    assert calls == ["start", 1, 2, "end"]
    assert len(History.from_json(tmp_path / "hist.json")) == 2
    assert lines == ["epoch 1: lr 0.001", "epoch 2: lr 0.001"]
    assert sk.SiameseNetwork.load(tmp_path / "model").embedding_dim == 3


def test_a_callback_can_stop_training():
    class StopAt2(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            trainer.stop_training = epoch == 2

    history = fit(tiny_model(), epochs=5, callbacks=[StopAt2()])
    assert len(history) == 2


def test_a_step_callback_sees_every_optimizer_step_and_may_evaluate_without_changing_the_run():
    """on_step_end comes after each optimizer step (accumulated micro-batches count once); a
    callback that evaluates the model there (eval mode, no gradients) leaves the trained weights
    exactly as a run without it, since the trainer puts the model back in training mode."""
    probe = torch.randn(5, 4)

    class Watch(Callback):
        def __init__(self):
            self.seen = []

        def on_step_end(self, trainer, step):
            assert trainer.model.training  # called from inside the loop
            with torch.no_grad():
                trainer.model.eval()
                self.seen.append((step, trainer.epoch_, float(trainer.model.embed(probe).sum())))

    def run(callbacks, dropout=0.3):
        model = tiny_model(dropout=dropout)
        fit(model, epochs=2, train=batches("pairs", 6), callbacks=callbacks, accumulate_steps=2,
            seed=1)
        return model

    watch = Watch()
    watched, plain = run([watch]), run([])
    assert [(s, e) for s, e, _ in watch.seen] == [(1, 0), (2, 0), (3, 0), (4, 1), (5, 1), (6, 1)]
    assert_same_weights(watched, plain)  # dropout on in both: train mode came back each time
    assert len({v for _, _, v in watch.seen}) == 6  # it saw a different model after each step


def test_without_checkpoint_dir_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fit(tiny_model(), epochs=1, val=batches("pairs", 1))
    assert os.listdir(tmp_path) == []


def test_bf16_autocast_runs_on_cpu():
    model = tiny_model()
    history = fit(model, amp="bf16", epochs=1, val=batches("pairs", 1))
    assert history["train_loss"][0] is not None and all(
        p.dtype == torch.float32 for p in model.parameters()
    )


def test_progress_bar_shows_the_live_loss_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    fit(tiny_model(), epochs=1, progress=True, log_every=1)
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "loss=" in err
    fit(tiny_model(), epochs=1, progress=False)
    assert capsys.readouterr().err == ""
