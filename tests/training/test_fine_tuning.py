"""The fine-tuning controls of the Trainer, each against a plain PyTorch loop written here (same
seed, same data): gradient accumulation, a frozen backbone, its own learning rate, frozen
BatchNorm statistics; and the per-step warmup schedules against Hugging Face transformers' own
(``get_*_schedule_with_warmup``), the formulas siamkit's follow."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import siamkit as sk
from siamkit.errors import ConfigError
from siamkit.training.freeze import backbone_parameters
from training_helpers import DIM, Contrastive, batches, weights


class Tower(sk.encoders.Encoder):
    """A "pretrained" backbone (with BatchNorm when asked) and a projection, as the timm and
    torchvision encoders have them."""

    def __init__(self, batchnorm: bool = False) -> None:
        super().__init__()
        layers = [nn.Linear(DIM, 6)] + ([nn.BatchNorm1d(6)] if batchnorm else []) + [nn.Tanh()]
        self.backbone = nn.Sequential(*layers)
        self.projection = nn.Linear(6, 3)
        self.embedding_dim = 3

    def encode(self, x):
        return self.projection(self.backbone(x))

    def backbone_prefixes(self):
        return ("backbone.",)


def tower_model(seed: int = 0, batchnorm: bool = False) -> sk.SiameseNetwork:
    torch.manual_seed(seed)
    return sk.SiameseNetwork(Tower(batchnorm))


def fit(model, data, **kw):
    settings = dict(epochs=1, lr=1e-2, progress=False, seed=3, keep_best=False)
    settings.update(kw)
    trainer = sk.Trainer(model, Contrastive(), **settings)
    trainer.fit(data)
    return trainer


def pair_loss(model, x1, x2, y):
    e = model.encoder(model.adapter(torch.cat([x1, x2])))
    return Contrastive()(model.distance_fn.paired(e[: len(x1)], e[len(x1):]), y)


def hand_loop(model, groups, optimizer, before_step=None):
    """One Adam step per group of batches: the mean loss of the group's batches joined."""
    for i, group in enumerate(groups):
        x1, x2, y = (torch.cat(parts) for parts in zip(*group))
        optimizer.zero_grad()
        pair_loss(model, x1, x2, y).backward()
        if before_step is not None:
            before_step(i)
        optimizer.step()


# ---- gradient accumulation ----------------------------------------------------------------------

@pytest.mark.parametrize("count, size", [(8, 4), (6, 4)])  # 6: the last group holds 2 batches
def test_accumulating_micro_batches_equals_one_batch_of_them_all(count, size):
    data = batches("pairs", count, n=8)
    model = tower_model()
    # SGD, not Adam: the projection's bias cancels in d(e1, e2), and Adam turns its rounding-noise
    # gradient (1e-9) into steps of size lr, which would differ between any two summation orders
    trainer = fit(model, data, accumulate_steps=size, optimizer="sgd", lr=0.1)
    assert trainer.step_ == -(-count // size)

    ref = tower_model()
    opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    hand_loop(ref, [data[i:i + size] for i in range(0, count, size)], opt)
    for k, v in weights(ref).items():
        torch.testing.assert_close(model.state_dict()[k], v, atol=1e-6, rtol=1e-5, msg=k)


def test_without_accumulation_each_batch_is_a_step():
    data = batches("pairs", 5, n=8)
    model, ref = tower_model(), tower_model()
    assert fit(model, data).step_ == 5
    hand_loop(ref, [[b] for b in data], torch.optim.Adam(ref.parameters(), lr=1e-2))
    for k, v in weights(ref).items():
        torch.testing.assert_close(model.state_dict()[k], v, atol=1e-6, rtol=1e-5, msg=k)


# ---- a frozen backbone, its own learning rate, frozen BatchNorm -----------------------------------

def test_the_backbone_is_the_encoders_named_part_else_the_whole_encoder():
    model = tower_model()
    assert {id(p) for p in backbone_parameters(model)} == {
        id(p) for p in model.encoder.backbone.parameters()}
    mlp = sk.SiameseNetwork(sk.encoders.create_encoder("mlp", input_dim=DIM, embedding_dim=3))
    assert len(backbone_parameters(mlp)) == len(list(mlp.encoder.parameters()))


def test_frozen_backbone_steps_match_a_loop_that_freezes_them_by_hand():
    data = batches("pairs", 5, n=8)
    model = tower_model()
    start = weights(model)
    fit(model, data[:3], freeze_backbone_steps=3)
    for k in start:  # three steps, all frozen: the backbone bit for bit, the projection moved
        same = torch.equal(model.state_dict()[k], start[k])
        assert same == k.startswith("encoder.backbone."), k
    assert all(p.requires_grad for p in model.parameters())  # given back trainable

    model, ref = tower_model(), tower_model()
    fit(model, data, freeze_backbone_steps=2)
    opt = torch.optim.Adam(ref.parameters(), lr=1e-2)

    def drop(i):
        if i < 2:
            for p in ref.encoder.backbone.parameters():
                p.grad = None

    hand_loop(ref, [[b] for b in data], opt, drop)
    for k, v in weights(ref).items():
        torch.testing.assert_close(model.state_dict()[k], v, atol=1e-6, rtol=1e-5, msg=k)
    assert not torch.equal(model.state_dict()["encoder.backbone.0.weight"],
                           start["encoder.backbone.0.weight"])


def test_frozen_backbone_epochs():
    data = batches("pairs", 3, n=8)
    model = tower_model()
    start = weights(model)["encoder.backbone.0.weight"]
    fit(model, data, epochs=1, freeze_backbone_epochs=1)
    assert torch.equal(model.encoder.backbone[0].weight, start)
    model = tower_model()
    fit(model, data, epochs=2, freeze_backbone_epochs=1)
    assert not torch.equal(model.encoder.backbone[0].weight, start)


def test_backbone_lr_is_a_group_of_its_own_beside_the_losss_lr_multiplier():
    class WeightedLoss(Contrastive):
        lr_multiplier = 10.0

        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(()))

        def forward(self, d, y):
            return self.scale * super().forward(d, y)

    model = tower_model()
    trainer = sk.Trainer(model, WeightedLoss(), epochs=1, lr=1e-2, backbone_lr=1e-3,
                         optimizer="sgd", progress=False)
    trainer.fit(batches("pairs", 2, n=8))
    groups = trainer.optimizer_.param_groups
    assert [g["lr"] for g in groups] == pytest.approx([1e-2, 1e-3, 1e-1])
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in model.encoder.backbone.parameters()}


def test_backbone_lr_matches_a_loop_with_two_parameter_groups():
    data = batches("pairs", 4, n=8)
    model, ref = tower_model(), tower_model()
    fit(model, data, backbone_lr=1e-3, optimizer="sgd")
    opt = torch.optim.SGD([{"params": ref.encoder.projection.parameters()},
                           {"params": ref.encoder.backbone.parameters(), "lr": 1e-3}],
                          lr=1e-2, momentum=0.9)
    hand_loop(ref, [[b] for b in data], opt)
    for k, v in weights(ref).items():
        torch.testing.assert_close(model.state_dict()[k], v, atol=1e-6, rtol=1e-5, msg=k)


@pytest.mark.parametrize("frozen", [False, True])
def test_frozen_batchnorm_keeps_its_running_statistics(frozen):
    model = tower_model(batchnorm=True)
    bn = model.encoder.backbone[1]
    mean = bn.running_mean.clone()
    fit(model, batches("pairs", 3, n=8), freeze_batchnorm=frozen)
    assert torch.equal(bn.running_mean, mean) == frozen
    assert bn.num_batches_tracked.item() == (0 if frozen else 3)
    assert not torch.equal(bn.weight, torch.ones_like(bn.weight))  # its affine part still trains


# ---- warmup and decay, per optimizer step ---------------------------------------------------------

class LrRecorder(Contrastive):
    """Records the learning rate that each training call's step will use."""

    def __init__(self):
        super().__init__()
        self.trainer, self.lrs = None, []

    def forward(self, d, y):
        if torch.is_grad_enabled():
            self.lrs.append(self.trainer.optimizer_.param_groups[0]["lr"])
        return super().forward(d, y)


@pytest.mark.parametrize("kind", ["linear", "cosine", "constant"])
def test_warmup_then_decay_follows_transformers_schedules(kind):
    transformers = pytest.importorskip("transformers")
    maker = {"linear": transformers.get_linear_schedule_with_warmup,
             "cosine": transformers.get_cosine_schedule_with_warmup,
             "constant": transformers.get_constant_schedule_with_warmup}[kind]
    loss = LrRecorder()
    trainer = sk.Trainer(tower_model(), loss, epochs=3, lr=0.1, warmup_steps=4,
                         step_schedule=kind, accumulate_steps=2, progress=False)
    loss.trainer = trainer
    trainer.fit(batches("pairs", 5, n=4))  # 3 optimizer steps an epoch, 9 in all
    # the first micro-batch of each group of 2 (2, 2, 1 in each epoch of 5 batches)
    got = [loss.lrs[i] for i in (0, 2, 4, 5, 7, 9, 10, 12, 14)]

    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = (maker(opt, 4) if kind == "constant" else maker(opt, 4, 9))
    want = []
    for _ in range(9):
        want.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert got == pytest.approx(want, abs=1e-12)
    assert want[0] == 0.0 and want[4] == pytest.approx(0.1)  # the premise: warmup from 0


def test_a_step_schedule_needs_a_loader_with_a_length():
    def stream():
        yield from batches("pairs", 2, n=4)

    class Endless:
        batch_kind = "pairs"

        def __iter__(self):
            return stream()

    with pytest.raises(ConfigError, match="step_schedule 'linear': needs a train_loader with a len"):
        fit(tower_model(), Endless(), step_schedule="linear")


# ---- bad values -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kw, message", [
    ({"accumulate_steps": 0}, "accumulate_steps: must be an int >= 1"),
    ({"warmup_steps": -1}, "warmup_steps: must be an int >= 0"),
    ({"step_schedule": "exponential"}, "step_schedule: must be one of constant, linear, cosine"),
    ({"warmup_steps": 3, "scheduler": "cosine"}, "scheduler and warmup_steps / step_schedule"),
    ({"backbone_lr": 0}, "backbone_lr: must be > 0"),
    ({"freeze_backbone_epochs": -2}, "freeze_backbone_epochs: must be an int >= 0"),
    ({"freeze_backbone_steps": 1.5}, "freeze_backbone_steps: must be an int >= 0"),
])
def test_bad_values_are_clear_errors(kw, message):
    with pytest.raises(ConfigError, match=message):
        fit(tower_model(), batches("pairs", 1), **kw)


def test_backbone_lr_needs_an_optimizer_the_trainer_builds():
    model = tower_model()
    with pytest.raises(ConfigError, match="backbone_lr: needs an optimizer by name or a factory"):
        fit(model, batches("pairs", 1), backbone_lr=1e-4,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
