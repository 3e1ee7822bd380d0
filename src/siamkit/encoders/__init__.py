"""Encoders: the one shared sub-network of a Siamese model, built by name.

``create_encoder("mlp" | "convnet" | "rnn", **config)``; any ``nn.Module`` mapping a batch to
``[B, D]`` works too. ``"siamfc"`` is the one exception to the ``[B, D]`` rule: a fully-convolutional
encoder that returns feature maps, for the tracker of :mod:`siamkit.tracking`.
"""

from .base import Encoder, create_encoder, get_encoder_class, list_encoders, register_encoder
from .convnet import ConvNetEncoder
from .mlp import MLPEncoder
from .rnn import RNNEncoder
from .siamfc import SiamFCEncoder

__all__ = [
    "ConvNetEncoder",
    "Encoder",
    "MLPEncoder",
    "RNNEncoder",
    "SiamFCEncoder",
    "create_encoder",
    "get_encoder_class",
    "list_encoders",
    "register_encoder",
]
