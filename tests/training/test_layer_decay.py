"""Layer-wise learning-rate decay (``layer_lr_decay``) on a tiny 2-layer BERT (``hf_text``): each
parameter's learning rate worked out by hand, the weights after a step equal to a plain PyTorch
loop with those groups, and the values and towers that are refused. (Against timm's own
``param_groups_layer_decay``: tests/vision/test_layer_decay_timm.py.)"""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("transformers")

import siamkit as sk  # noqa: E402
from siamkit.errors import ConfigError  # noqa: E402
from hf_tiny import random_batch, shared_tiny_bert  # noqa: E402
from training_helpers import Contrastive, tiny_model  # noqa: E402

LR = 1e-2


def bert_model(seed: int = 0) -> sk.SiameseNetwork:
    torch.manual_seed(seed)
    enc = sk.encoders.create_encoder("hf_text", path=str(shared_tiny_bert()), pooling="mean")
    return sk.SiameseNetwork(enc, distance="euclidean")


def data(n_batches: int = 1):
    out = []
    for i in range(n_batches):
        x = random_batch(8, length=7, seed=i)
        out.append((x[:4], x[4:], torch.tensor([1.0, 0.0, 1.0, 0.0])))
    return out


def lr_of_each_parameter(trainer, model):
    lr = {id(p): g["lr"] for g in trainer.optimizer_.param_groups for p in g["params"]}
    return {name: lr[id(p)] for name, p in model.named_parameters()}


def by_hand(name: str, decay: float, rate: float = LR) -> float:
    """2 layers + embeddings: L = 3 layers; the embeddings at depth 2, layer 0 at depth 1, layer 1
    (the last, at the output) at depth 0: full rate."""
    if name.startswith("encoder.backbone.embeddings."):
        return rate * decay * decay
    if name.startswith("encoder.backbone.encoder.layer.0."):
        return rate * decay
    assert name.startswith("encoder.backbone.encoder.layer.1."), name  # nothing else trains
    return rate


def fit(model, decay, **kw):
    settings = dict(epochs=1, lr=LR, optimizer="sgd", progress=False, seed=3, keep_best=False,
                    layer_lr_decay=decay)
    settings.update(kw)
    trainer = sk.Trainer(model, Contrastive(), **settings)
    trainer.fit(data())
    return trainer


@pytest.mark.parametrize("decay", [0.5, 0.8])
def test_each_parameter_trains_at_lr_times_decay_to_its_depth(decay):
    model = bert_model()
    got = lr_of_each_parameter(fit(model, decay), model)
    assert len(got) == 5 + 2 * 16  # embeddings (5 tensors), two layers of 16; the pooler dropped
    for name, lr in got.items():
        assert lr == pytest.approx(by_hand(name, decay), rel=1e-12), name
    assert len(fit(bert_model(), decay).optimizer_.param_groups) == 3  # one group per depth


def test_decay_multiplies_the_backbones_own_rate():
    model = bert_model()
    got = lr_of_each_parameter(fit(model, 0.5, backbone_lr=1e-3), model)
    for name, lr in got.items():  # hf_text names no backbone: all of it is backbone
        assert lr == pytest.approx(by_hand(name, 0.5, rate=1e-3), rel=1e-12), name


def test_a_step_equals_a_loop_with_one_sgd_group_per_layer():
    model, ref = bert_model(), bert_model()
    fit(model, 0.5)
    layers = {}
    for name, p in ref.named_parameters():
        layers.setdefault(by_hand(name, 0.5), []).append(p)
    opt = torch.optim.SGD([{"params": ps, "lr": lr} for lr, ps in layers.items()], lr=LR,
                          momentum=0.9)
    (x1, x2, y), = data()
    opt.zero_grad()
    Contrastive()(ref.distance(x1, x2), y).backward()
    opt.step()
    moved = 0
    for name, p in ref.named_parameters():
        torch.testing.assert_close(model.state_dict()[name], p.detach(), atol=1e-7, rtol=1e-6,
                                   msg=name)
        moved += not torch.equal(p.detach(), bert_model().state_dict()[name])
    assert moved > 20  # the premise: the step moved the weights


def test_decay_one_keeps_the_single_group_of_every_checkpoint_so_far():
    trainer = fit(bert_model(), 1.0)
    assert len(trainer.optimizer_.param_groups) == 1
    assert trainer.optimizer_.param_groups[0]["lr"] == LR


@pytest.mark.parametrize("value", [0, -0.5, 1.5, True, "0.5"])
def test_values_outside_zero_one_are_refused_naming_the_key(value):
    with pytest.raises(ConfigError, match=r"layer_lr_decay: must be in \(0, 1\]"):
        fit(bert_model(), value)


def test_a_tower_without_layers_is_one_clear_line():
    with pytest.raises(ConfigError, match="layer_lr_decay=0.5: encoder 'mlp' names no layers") as e:
        sk.Trainer(tiny_model(), Contrastive(), epochs=1, layer_lr_decay=0.5,
                   progress=False).fit([(torch.randn(4, 4), torch.randn(4, 4), torch.ones(4))])
    assert "\n" not in str(e.value)


def test_an_optimizer_already_built_cannot_take_layer_rates():
    model = bert_model()
    with pytest.raises(ConfigError, match="layer_lr_decay: needs an optimizer by name or a factory"):
        fit(model, 0.5, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
