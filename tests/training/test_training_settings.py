"""The Trainer's settings: four groups, each field also a keyword of its own (the signature before
the groups), readable and settable as an attribute."""

from __future__ import annotations

import pytest

import siamkit as sk
from siamkit.errors import ConfigError
from siamkit.training.settings import Checkpointing, Monitoring, Optimization, Runtime
from training_helpers import Contrastive, assert_same_weights, batches, tiny_model


def test_groups_and_flat_keywords_train_the_same():
    def train(**kw):
        model = tiny_model(dropout=0.2)
        sk.Trainer(model, Contrastive(), epochs=2, **kw).fit(batches("pairs", 3))
        return model

    flat = train(optimizer="sgd", lr=0.05, grad_clip=1.0, seed=3, progress=False, patience=2)
    grouped = train(
        optimization=Optimization(optimizer="sgd", lr=0.05, grad_clip=1.0),
        runtime=Runtime(seed=3, progress=False),
        monitoring=Monitoring(patience=2),
    )
    assert_same_weights(flat, grouped)


def test_a_flat_keyword_applies_on_top_of_its_group_and_leaves_the_callers_group_alone(tmp_path):
    given = Optimization(lr=0.1, scheduler="cosine")
    trainer = sk.Trainer(tiny_model(), Contrastive(), optimization=given, lr=0.2)
    assert (trainer.lr, trainer.scheduler, trainer.optimization.lr) == (0.2, "cosine", 0.2)
    trainer.checkpoint_dir = tmp_path
    trainer.lr = 0.3
    assert trainer.checkpointing == Checkpointing(checkpoint_dir=tmp_path)
    assert trainer.optimization.lr == 0.3 and given.lr == 0.1
    assert trainer.keep_best is True and trainer.device == "auto"  # the defaults of before


def test_an_unknown_keyword_or_a_wrong_group_is_named():
    with pytest.raises(TypeError, match=r"'learning_rate'"):
        sk.Trainer(tiny_model(), Contrastive(), learning_rate=0.1)
    with pytest.raises(TypeError, match=r"'checkpoint_dri' \(did you mean 'checkpoint_dir'\?\)"):
        sk.Trainer(tiny_model(), Contrastive(), checkpoint_dri="x")
    with pytest.raises(ConfigError, match="runtime: expected a Runtime, got dict"):
        sk.Trainer(tiny_model(), Contrastive(), runtime={"seed": 1})
