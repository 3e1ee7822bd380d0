"""Where a pretrained tower's layers are: its parameter names in layers, from the input (the
embeddings or the stem) to the output, for layer-wise learning-rate decay
(:mod:`siamkit.training.layer_decay`; Howard & Ruder 2018, ULMFiT's "discriminative fine-tuning";
Clark et al. 2020, ELECTRA; Bao et al. 2022, BEiT).

Each encoder with a layer structure answers ``layer_groups()`` with one of these readings:

* :func:`stacked_layers`: a transformer's stack (the ``nn.ModuleList`` holding the most
  parameters: BERT's ``encoder.layer``, DistilBERT's ``transformer.layer``, GPT-2's ``h``), one
  layer per block; the parameters registered before the stack (the embeddings) are the deepest
  layer, those after it (a final norm, a pooler) are left unnamed, at the full rate;
* :func:`timm_layers`: timm's own ``group_matcher(coarse=False)`` of the model, the grouping
  timm's ``param_groups_layer_decay`` uses (stem, then each block; the head last);
* :func:`child_layers`: a torchvision model by the order of its children: the stem (the
  parameters before the first stage, and the model's own: a ViT's class token and position
  embedding), then each stage; a model that is one or two containers is read inside them
  (``features`` of MobileNet, EfficientNet, ConvNeXt; ``encoder.layers`` of a ViT); a norm layer
  joins the layer before it, as timm groups a final norm with the last block.

Names are relative to the module given; ``None`` means no layer structure was found.
"""

from __future__ import annotations

from typing import Any

from torch import nn

_NORMS = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm)


def _names(module: nn.Module, prefix: str) -> list[str]:
    return [prefix + name for name, _ in module.named_parameters()]


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def stacked_layers(model: nn.Module) -> list[list[str]] | None:
    """The layers of a transformer: [what comes before the stack, block 0, ..., block n-1]."""
    stacks = [(name, m) for name, m in model.named_modules()
              if isinstance(m, nn.ModuleList) and len(m) and _count(m)]
    if not stacks:
        return None
    where, stack = max(stacks, key=lambda item: _count(item[1]))
    inside = f"{where}."
    order = [name for name, _ in model.named_parameters()]
    first = next(i for i, name in enumerate(order) if name.startswith(inside))
    blocks = [_names(block, f"{inside}{i}.") for i, block in enumerate(stack)]
    return [order[:first], *blocks] if first else blocks


def timm_layers(model: Any) -> list[list[str]] | None:
    """A timm model's layers, by its ``group_matcher(coarse=False)`` (None without one)."""
    matcher = getattr(model, "group_matcher", None)
    if not callable(matcher):
        return None
    from timm.models import group_parameters  # timm's own reading of its matchers

    ids = group_parameters(model, matcher(coarse=False), reverse=True)  # name -> layer id
    groups: dict[int, list[str]] = {}
    for name, _ in model.named_parameters():
        groups.setdefault(int(ids[name]), []).append(name)
    return [groups[i] for i in sorted(groups)]


def child_layers(model: nn.Module) -> list[list[str]] | None:
    """A torchvision model's stem and stages by the order of its children (see the module
    docstring); None when fewer than two layers are found."""
    loose = [name for name, _ in model.named_parameters(recurse=False)]
    groups: list[list[str]] = []
    for names, module in _units(model, "", loose):
        if groups and isinstance(module, _NORMS):
            groups[-1] += names  # a norm goes with what it normalises
        else:
            groups.append(list(names))
    if loose and groups:
        groups[0] = loose + groups[0]  # a class token, a position embedding: the stem's
    return groups if len(groups) >= 2 else None


def _units(module: nn.Module, prefix: str, loose: list[str]) -> list[tuple[list[str], nn.Module]]:
    """(parameter names, module) of each child with parameters, in order; a module that is one
    or two such children is read inside them (their own parameters go to ``loose``)."""
    kids = [(name, child) for name, child in module.named_children() if _count(child)]
    if not kids:
        return []
    units: list[tuple[list[str], nn.Module]] = []
    for name, child in kids:
        if len(kids) <= 2 and any(_count(c) for c in child.children()):
            loose += [f"{prefix}{name}.{n}" for n, _ in child.named_parameters(recurse=False)]
            units += _units(child, f"{prefix}{name}.", loose)
        else:
            units.append((_names(child, f"{prefix}{name}."), child))
    return units
