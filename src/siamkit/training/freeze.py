"""Which parameters are the pretrained backbone, and keeping them still: frozen for the first
epochs or steps of a run, and BatchNorm layers whose running statistics stay as they were.

The backbone is what the encoder names with ``backbone_prefixes()`` (the timm and torchvision
encoders: their ``backbone.`` module, not the projection); an encoder that names nothing is all
backbone, the usual meaning when a whole pretrained tower is fine-tuned. Freezing the first epochs
lets a new head or projection settle before the backbone's features move ("gradual unfreezing",
Howard & Ruder 2018, ULMFiT; the linear-probe-then-fine-tune recipe of Kumar et al. 2022).

Frozen parameters get ``requires_grad=False`` (no backward through them: the frozen phase is
cheaper) in one process; under DistributedDataParallel, which fixes at wrap time which parameters
it reduces, their gradients are dropped before the update instead. Either way the optimizer skips
them, so they stay unchanged bit for bit while frozen.
"""

from __future__ import annotations

from torch import nn


def backbone_prefixes(model: nn.Module) -> tuple[str, ...]:
    """Name prefixes (in ``model``) of the backbone's parameters and modules."""
    encoder = getattr(model, "encoder", None)
    if encoder is None:
        return ("",)
    own = getattr(encoder, "backbone_prefixes", None)
    prefixes = own() if callable(own) else ("",)
    return tuple(f"encoder.{p}" for p in prefixes)


def backbone_parameters(model: nn.Module) -> list[nn.Parameter]:
    prefixes = backbone_prefixes(model)
    return [p for name, p in model.named_parameters() if name.startswith(prefixes)]


def freeze_batchnorm(model: nn.Module) -> int:
    """Put the backbone's BatchNorm layers in eval mode (after ``model.train()``), so that they
    normalise with their running statistics and do not update them; their affine weights still
    train. Returns how many layers."""
    prefixes = backbone_prefixes(model)
    count = 0
    for name, module in model.named_modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and f"{name}.".startswith(prefixes):
            module.eval()
            count += 1
    return count


class BackboneFreeze:
    """The backbone frozen while ``epoch < epochs`` or ``step < steps`` (optimizer steps done)."""

    def __init__(self, model: nn.Module, epochs: int, steps: int, world_size: int) -> None:
        self.epochs, self.steps = epochs, steps
        self.active = bool(epochs or steps)
        # only those that train at the start: a parameter the user froze stays frozen
        self.params = [p for p in backbone_parameters(model) if p.requires_grad] if self.active else []
        self.toggle = world_size == 1
        self.frozen = False

    def update(self, epoch: int, step: int) -> None:
        """Freeze or release for the step about to run."""
        frozen = self.active and (epoch < self.epochs or step < self.steps)
        if frozen != self.frozen and self.toggle:
            for p in self.params:
                p.requires_grad_(not frozen)
        self.frozen = frozen

    def drop_grads(self) -> None:
        """Before the update: no gradient for frozen parameters (there is none in one process)."""
        if self.frozen:
            for p in self.params:
                p.grad = None

    def release(self) -> None:
        """The end of ``fit``: the backbone trainable again, as it was given."""
        self.update(self.epochs, self.steps)
