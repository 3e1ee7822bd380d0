"""Losses with learned parameters (class weights, proxies) under the Trainer: the optimizer trains
them (at ``lr * lr_multiplier`` in a group of their own), a checkpoint keeps them so that a resumed
run ends exactly where an uninterrupted one does, and the saved model leaves them out."""

from __future__ import annotations

import functools

import pytest
import torch
from training_helpers import assert_same_weights, batches, tiny_model

import siamkit as sk
from siamkit.errors import SiamkitWarning
from siamkit.losses import ArcFaceLoss, ProxyAnchorLoss
from siamkit.training import load_checkpoint

CLASSES, EMBEDDING = 4, 3  # training_helpers' labelled batches: 4 classes; tiny_model: 3-d


class Crashing(ProxyAnchorLoss):
    """Proxy-Anchor that raises at training call number ``at``."""

    def __init__(self, at: int | None = None, seed: int = 0) -> None:
        torch.manual_seed(seed)  # the proxies' initial values
        super().__init__(CLASSES, EMBEDDING, alpha=8.0)
        self.at, self.calls = at, 0

    def forward(self, embeddings, labels):
        if torch.is_grad_enabled():
            self.calls += 1
            if self.calls == self.at:
                raise RuntimeError("simulated crash")
        return super().forward(embeddings, labels)


def run(folder, loss, resume=None, **kw):
    model = tiny_model(seed=0, dropout=0.2)
    settings = dict(epochs=4, lr=1e-2, scheduler="cosine", checkpoint_dir=folder, progress=False,
                    seed=3)
    trainer = sk.Trainer(model, loss, **{**settings, **kw})
    trainer.fit(batches("labelled", 5, seed=2), batches("labelled", 2, seed=9), resume=resume)
    return trainer, model


def test_the_loss_weights_train_in_their_own_group_at_the_papers_rate(tmp_path):
    loss = Crashing()
    before = loss.weight.detach().clone()
    trainer, _ = run(tmp_path, loss, epochs=1, scheduler=None)
    groups = trainer.optimizer_.param_groups
    assert [g["lr"] for g in groups] == [pytest.approx(1e-2), pytest.approx(1.0)]  # 100x
    assert groups[1]["params"] == [loss.weight]
    assert not torch.equal(loss.weight.detach(), before)


def test_a_loss_at_the_models_rate_shares_the_one_group(tmp_path):
    torch.manual_seed(0)
    loss = ArcFaceLoss(CLASSES, EMBEDDING, scale=8.0)
    before = loss.weight.detach().clone()
    trainer, _ = run(tmp_path, loss, epochs=1)
    assert len(trainer.optimizer_.param_groups) == 1
    assert not torch.equal(loss.weight.detach(), before)


def test_a_factory_optimizer_gets_the_multiplier_too(tmp_path):
    trainer, _ = run(tmp_path, Crashing(), epochs=1, scheduler=None,
                     optimizer=functools.partial(torch.optim.SGD, lr=0.1))
    assert [g["lr"] for g in trainer.optimizer_.param_groups] == [0.1, pytest.approx(10.0)]


def test_an_optimizer_without_the_loss_weights_is_warned_about(tmp_path):
    model = tiny_model()
    own = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.warns(SiamkitWarning, match="not in the optimizer"):
        sk.Trainer(model, Crashing(), epochs=1, optimizer=own, progress=False).fit(
            batches("labelled", 2, seed=2))


def test_resume_is_exact_with_learned_proxies(tmp_path):
    straight_dir, crashed_dir = tmp_path / "straight", tmp_path / "crashed"
    straight_trainer, straight_model = run(straight_dir, Crashing())
    straight_loss = straight_trainer.loss.weight.detach().clone()
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(crashed_dir, Crashing(at=2 * 5 + 3))  # during epoch 3, after the epoch 2 checkpoint
    saved = load_checkpoint(crashed_dir)
    assert saved["epoch"] == 2 and set(saved["loss"]) == {"weight"}
    resumed = Crashing(seed=99)  # other initial proxies: the checkpoint must bring them back
    trainer, model = run(crashed_dir, resumed, resume=True)
    torch.testing.assert_close(resumed.weight.detach(), straight_loss, rtol=0, atol=0)
    assert_same_weights(model, straight_model)
    assert_same_weights(load_checkpoint(crashed_dir)["loss"], load_checkpoint(straight_dir)["loss"])
    assert [e["train_loss"] for e in trainer.history_.epochs] == \
        [e["train_loss"] for e in straight_trainer.history_.epochs]


def test_the_saved_model_holds_no_loss_weights(tmp_path):
    loss = Crashing()
    _, model = run(tmp_path, loss, epochs=1)
    folder = model.save(tmp_path / "model")
    from safetensors.torch import load_file

    saved = load_file(folder / "model.safetensors")
    assert set(saved) == set(model.state_dict())
    assert not any(t.shape == loss.weight.shape for t in saved.values())
    reloaded = sk.SiameseNetwork.load(folder)
    assert_same_weights(reloaded, model)
