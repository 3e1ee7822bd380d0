"""Encoders: the one shared sub-network of a Siamese model, built by name.

``create_encoder(name, **config)`` for a name of :data:`siamkit.registry.ENCODERS`
(``list_encoders()``; each encoder registers itself next to its class with :func:`register_encoder`,
with its modality and the arguments the data decide); any ``nn.Module`` mapping a batch to
``[B, D]`` works too. ``hf_text`` wraps a pretrained Hugging Face transformer from a local
folder (the ``text`` extra: ``pip install siamkit[text]``). An encoder registered with
``output="feature-map"`` (``siamfc``) returns feature maps, for the tracker of
:mod:`siamkit.tracking`. ``timm`` and ``torchvision`` wrap the image backbones of those libraries
(the ``vision`` extra), with their own input adapter.
"""

from .base import Encoder, create_encoder, get_encoder_class, list_encoders, register_encoder
from .convnet import ConvNetEncoder
from .hf_text import HFTextEncoder
from .mlp import MLPEncoder
from .rnn import RNNEncoder
from .siamfc import SiamFCEncoder
from .timm_backbone import TimmEncoder
from .torchvision_backbone import TorchvisionEncoder

__all__ = [
    "ConvNetEncoder",
    "Encoder",
    "HFTextEncoder",
    "MLPEncoder",
    "RNNEncoder",
    "SiamFCEncoder",
    "TimmEncoder",
    "TorchvisionEncoder",
    "create_encoder",
    "get_encoder_class",
    "list_encoders",
    "register_encoder",
]
