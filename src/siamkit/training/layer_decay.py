"""Layer-wise learning-rate decay: the layers of a pretrained tower train the slower the farther
they are from the output ("discriminative fine-tuning", Howard & Ruder 2018, ULMFiT; the
layer-wise decay of Clark et al. 2020, ELECTRA, and Bao et al. 2022, BEiT, as timm's
``param_groups_layer_decay`` applies it).

With ``layer_lr_decay = d`` (0 < d <= 1) and a tower of ``L`` layers (its encoder names them with
``layer_groups()``, input to output: see :mod:`siamkit.encoders.layer_groups`), the parameters of
layer ``i`` (0: the embeddings or the stem) train at ``rate * d ** (L - 1 - i)``: the layer at the
output at the full rate, each one below it ``d`` times slower, the embeddings slowest.
Parameters in no layer (the projection, a head, a final norm or pooler after the last block)
train at the full rate. ``rate`` is the parameter's own: ``backbone_lr`` for the backbone, when
set, else ``lr``. Why: the lower layers hold the general features pretraining paid for, the upper
ones the task-specific ones that fine-tuning must move most.
"""

from __future__ import annotations

from torch import nn

from ..errors import ConfigError


def layer_depths(model: nn.Module, decay: float) -> dict[str, int]:
    """Each parameter name of ``model`` that its encoder places in a layer -> the layer's depth
    counted from the output (0: the last layer). ConfigError when the encoder names no layers."""
    encoder = getattr(model, "encoder", None)
    own = getattr(encoder, "layer_groups", None)
    groups = own() if callable(own) else None
    name = getattr(encoder, "name", None) or type(encoder).__name__
    if not groups:
        raise ConfigError(f"layer_lr_decay={decay}: encoder {name!r} names no layers "
                          f"(layer_groups()); layer-wise decay needs a layered pretrained tower "
                          f"(hf_text, timm, torchvision), or set layer_lr_decay = 1")
    known = {n for n, _ in model.named_parameters()}
    depths: dict[str, int] = {}
    for i, names in enumerate(groups):
        for n in names:
            full = f"encoder.{n}"
            if full not in known or full in depths:
                raise ConfigError(f"layer_lr_decay: encoder {name!r} places {n!r} in its layers, "
                                  f"which is {'named twice' if full in depths else 'not one of its parameters'}")
            depths[full] = len(groups) - 1 - i
    return depths


def lr_multipliers(model: nn.Module, backbone: list[nn.Parameter], backbone_multiplier: float,
                   decay: float) -> dict[str, float]:
    """Parameter name -> multiplier of ``lr``: ``backbone_multiplier`` for the backbone's, times
    ``decay ** depth`` under layer-wise decay (decay 1: no decay, no layers needed)."""
    inside = {id(p) for p in backbone}
    depths = layer_depths(model, decay) if decay != 1.0 else {}
    out = {}
    for name, p in model.named_parameters():
        rate = backbone_multiplier if id(p) in inside else 1.0
        out[name] = rate * decay ** depths.get(name, 0)
    return out
