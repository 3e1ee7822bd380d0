"""Multi-layer perceptron encoder for feature vectors (the sibling network of the classic
"Siamese network on tabular / digit vectors" tutorials)."""

from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn

from ..errors import ConfigError
from ._layers import make_activation
from .base import Encoder, register_encoder


@register_encoder("mlp", modality="vector", output="embedding", data_args=("input_dim",), auto=True)
class MLPEncoder(Encoder):
    """``[B, input_dim]`` float vectors -> ``[B, embedding_dim]``.

    Hidden layers are Linear -> (BatchNorm) -> activation -> (Dropout); the last layer is a plain
    Linear projection so that the embedding is not squashed by the activation.
    """

    def __init__(
        self,
        input_dim: int,
        embedding_dim: int = 64,
        hidden_dims: Sequence[int] = (256, 256),
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
        normalize: bool = False,
    ) -> None:
        super().__init__()
        if int(input_dim) < 1 or int(embedding_dim) < 1:
            raise ConfigError(f"mlp: input_dim and embedding_dim must be >= 1, got {input_dim}, {embedding_dim}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"mlp: dropout must be in [0, 1), got {dropout}")
        self.input_dim = int(input_dim)
        self.embedding_dim = int(embedding_dim)
        self.hidden_dims = tuple(int(h) for h in hidden_dims)
        self.activation = activation
        self.dropout = float(dropout)
        self.batch_norm = bool(batch_norm)
        self.normalize = bool(normalize)

        layers: list[nn.Module] = []
        width = self.input_dim
        for hidden in self.hidden_dims:
            layers.append(nn.Linear(width, hidden))
            if self.batch_norm:
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(make_activation(activation))
            if self.dropout > 0:
                layers.append(nn.Dropout(self.dropout))
            width = hidden
        layers.append(nn.Linear(width, self.embedding_dim))
        self.net = nn.Sequential(*layers)

    def encode(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.input_dim:
            raise ValueError(f"mlp encoder expects [B, {self.input_dim}] vectors, got {tuple(x.shape)}")
        return self.net(x.float())
