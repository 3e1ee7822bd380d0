"""Small shared building blocks for the encoders: activations by name."""

from __future__ import annotations

from torch import nn

from ..errors import ConfigError

ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
}


def make_activation(name: str) -> nn.Module:
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ConfigError(
            f"activation: unknown name {name!r}; choose one of {', '.join(sorted(ACTIVATIONS))}"
        ) from None
