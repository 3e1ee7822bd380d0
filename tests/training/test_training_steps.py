"""Batch -> loss dispatch: each batch kind feeds each fitting loss what its input_kind says."""

from __future__ import annotations

import pytest
import torch

import siamkit as sk
from siamkit.errors import ConfigError, DataError
from siamkit.training.steps import ACCEPTS, TrainStep, check_combination
from training_helpers import (
    MNRL,
    Contrastive,
    CosineMSE,
    LogitBCE,
    SoftLabelled,
    Triplet,
    batches,
    tiny_model,
)


class Batches(list):
    """A list of batches that says its kind, as siamkit loaders do."""

    def __init__(self, items, batch_kind):
        super().__init__(items)
        self.batch_kind = batch_kind


def _direct(model, loss, kind, batch):
    """The loss computed by hand, one encoder pass per input (not the trainer's code path)."""
    if kind == "pair_distances":
        x1, x2, y = batch
        return loss(model.distance(x1, x2), y)
    if kind == "pair_logits":
        x1, x2, y = batch
        return loss(model.head(model.embed(x1), model.embed(x2)), y)
    if kind == "labelled":
        x, labels = batch
        return loss(model.embed(x), labels)
    if kind == "scored_pairs":
        x1, x2, t = batch
        return loss(model.embed(x1), model.embed(x2), t)
    return loss(*(model.embed(x) for x in batch))


CASES = [
    ("pairs", Contrastive, None),
    ("pairs", LogitBCE, "l1_sigmoid"),
    ("pairs", CosineMSE, None),
    ("scored_pairs", CosineMSE, None),
    ("triplets", Triplet, None),
    ("labelled", SoftLabelled, None),
    ("duplicates", MNRL, None),
]


@pytest.mark.parametrize(
    "batch_kind,loss_cls,head", CASES, ids=[f"{b}-{c.__name__}" for b, c, _ in CASES]
)
def test_step_computes_the_loss_the_input_kind_asks_for(batch_kind, loss_cls, head):
    model, loss = tiny_model(head=head), loss_cls()
    batch = batches(batch_kind, 1)[0]
    step = TrainStep(model, loss, batch_kind)
    got = step(*batch)
    want = _direct(model, loss, loss.input_kind, batch)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    got.backward()
    assert all(p.grad is not None for p in model.encoder.parameters())


@pytest.mark.parametrize(
    "batch_kind,loss_cls,head", CASES, ids=[f"{b}-{c.__name__}" for b, c, _ in CASES]
)
def test_every_fitting_combination_trains_and_validates(batch_kind, loss_cls, head):
    model = tiny_model(head=head)
    train, val = (
        Batches(batches(batch_kind, 3), batch_kind),
        Batches(batches(batch_kind, 2, seed=9), batch_kind),
    )
    before = {k: v.clone() for k, v in model.state_dict().items()}
    history = sk.Trainer(model, loss_cls(), epochs=2, progress=False).fit(train, val)
    assert len(history) == 2 and all(v is not None for v in history["train_loss"])
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    for key in sk.training.metric_names(batch_kind):
        assert key in history.keys()


def test_a_wrong_combination_says_what_fits():
    model = tiny_model()
    with pytest.raises(
        ConfigError, match=r"Contrastive .*'pair_distances'.*'labelled'.*needs 'pairs'"
    ):
        sk.Trainer(model, Contrastive(), epochs=1).fit(Batches(batches("labelled", 1), "labelled"))
    with pytest.raises(ConfigError, match=r"needs 'labelled' batches"):
        sk.Trainer(model, SoftLabelled(), epochs=1).fit(Batches(batches("pairs", 1), "pairs"))
    with pytest.raises(ConfigError, match="val_loader"):
        sk.Trainer(model, Contrastive(), epochs=1).fit(
            batches("pairs", 1), Batches(batches("triplets", 1), "triplets")
        )


def test_the_table_of_fitting_combinations_is_what_the_checker_enforces():
    model = tiny_model(head="l1_sigmoid")
    for loss_cls in (Contrastive, LogitBCE, CosineMSE, Triplet, SoftLabelled, MNRL):
        for batch_kind, kinds in ACCEPTS.items():
            if loss_cls.input_kind in kinds:
                check_combination(loss_cls(), batch_kind, model)
            else:
                with pytest.raises(ConfigError):
                    check_combination(loss_cls(), batch_kind, model)


def test_logits_need_a_head_and_a_loss_needs_an_input_kind():
    with pytest.raises(ConfigError, match="has none"):
        sk.Trainer(tiny_model(), LogitBCE(), epochs=1).fit(batches("pairs", 1))
    with pytest.raises(ConfigError, match="input_kind"):
        sk.Trainer(tiny_model(), torch.nn.MSELoss(), epochs=1).fit(batches("pairs", 1))


def test_a_malformed_batch_is_a_data_error_naming_the_format():
    with pytest.raises(DataError, match=r"'pairs' batch is \(x1, x2, y\).*2 items"):
        sk.Trainer(tiny_model(), Contrastive(), epochs=1, progress=False).fit(
            [batches("pairs", 1)[0][:2]]
        )


def test_a_loss_that_is_not_a_scalar_is_a_config_error():
    class PerPair(Contrastive):
        def forward(self, d, y):
            return y * d.pow(2)

    with pytest.raises(ConfigError, match=r"PerPair returned \(8,\), not a scalar"):
        sk.Trainer(tiny_model(), PerPair(), epochs=1, progress=False).fit(batches("pairs", 1))
