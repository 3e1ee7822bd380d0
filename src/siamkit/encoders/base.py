"""The interface every siamkit encoder shares, and the functions that build encoders by name.

An encoder is the *one* network of a Siamese model: every branch passes through it, so the twins share
one set of weights by construction. Registered encoders follow scikit-learn manners: every constructor
argument is stored as an attribute of the same name, so :meth:`Encoder.get_config` can read the
arguments back and the model directory can rebuild the encoder without the user's code.

Any ``torch.nn.Module`` that maps a batch to ``[B, D]`` also works as an encoder; only registered ones
can be rebuilt from a saved config alone (register your own with :func:`register_encoder`, which
adds it to :data:`siamkit.registry.ENCODERS`).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar

import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ConfigError
from ..registry import ENCODERS, did_you_mean

E = TypeVar("E", bound=type["Encoder"])


class Encoder(nn.Module):
    """Base class of registered encoders: ``forward(x) -> [B, embedding_dim]``.

    Subclasses implement :meth:`encode`; the base applies optional L2 normalisation so that every
    encoder offers it the same way (``normalize=True`` puts embeddings on the unit sphere, the usual
    choice with cosine distance and with margins that should not depend on the embedding scale).
    """

    name: str = ""
    embedding_dim: int
    normalize: bool = False

    def encode(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        z = self.encode(x)
        return F.normalize(z, dim=1) if self.normalize else z

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, read back from the attributes of the same names (JSON-able)."""
        params = inspect.signature(type(self).__init__).parameters
        config = {}
        for key, param in params.items():
            if key == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            value = getattr(self, key)
            config[key] = list(value) if isinstance(value, tuple) else value
        return config

    def save_files(self, folder: Path) -> None:
        """Write what this encoder needs beside ``config.json`` into the model ``folder`` (nothing
        by default). A pretrained backbone writes its architecture config (and a tokenizer its
        files) here, so that the folder reloads without the hub or the original checkpoint."""

    @classmethod
    def from_saved(cls, config: dict[str, Any], folder: Path | None = None) -> "Encoder":
        """The encoder, before its weights are loaded, from ``get_config()`` and the model
        ``folder`` it was saved in. Overrides must not run code or unpickle anything from
        ``folder``: a model folder is data."""
        return create_encoder(cls.name, **config)

    def export_graph(self) -> nn.Module:
        """This encoder as a module that ``torch.onnx.export`` can trace: the same ``forward``
        without Python control flow over the values or sizes of its input (default: the encoder
        itself). An encoder that cannot be exported raises :class:`~siamkit.errors.ExportError`
        saying why in one line (see :mod:`siamkit.runtime.onnx_export`)."""
        return self

    @classmethod
    def own_adapter(cls, args: Mapping[str, Any]) -> Any:
        """The input adapter that comes with this encoder's weights (a pretrained text backbone's
        own tokenizer), made from the user's constructor ``args``; None (the default): siamkit's
        adapter for the modality, learned from the training data."""
        return None

    @classmethod
    def data_arguments(cls, args: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The constructor arguments the training data decide, given the user's ``args``: the
        registered ``data_args`` (None when the encoder was registered without them). An encoder
        whose needs depend on its arguments (a preset with a fixed input size) overrides this."""
        data_args = ENCODERS.entry(cls.name).get("data_args") if cls.name in ENCODERS else None
        return None if data_args is None else tuple(data_args)


def register_encoder(name: str, *, aliases: tuple[str, ...] = (), **info: Any) -> Callable[[E], E]:
    """Class decorator: make an :class:`Encoder` subclass buildable by ``create_encoder(name)``.

    ``info`` are the facts the rest of siamkit reads from :data:`siamkit.registry.ENCODERS`:
    ``modality`` (the data it reads: ``"image"``, ``"vector"`` or ``"text"``), ``output``
    (``"embedding"`` ``[B, D]`` or ``"feature-map"``), ``data_args`` (the constructor arguments the
    training data decide, filled in by ``siamkit train``) and ``auto`` (the encoder ``[encoder]
    name = "auto"`` picks for its modality). A user's encoder may leave them all out.
    """

    def decorate(cls: E) -> E:
        ENCODERS.add(name, cls, aliases=aliases, **info)  # raises if the name is taken
        cls.name = name
        return cls

    return decorate


def list_encoders() -> list[str]:
    """Names of the registered encoders."""
    return ENCODERS.names()


def get_encoder_class(name: str) -> type[Encoder]:
    if name not in ENCODERS:
        hint = did_you_mean(name, ENCODERS.names(True))
        raise ConfigError(f"encoder: unknown name {name!r}{hint}; registered encoders are "
                          f"{', '.join(list_encoders())}")
    return ENCODERS.get(name)


def create_encoder(name: str, **config: Any) -> Encoder:
    """Build the encoder registered as ``name`` with ``config`` as constructor arguments.

    An argument the encoder does not take is an error that names it, rather than being ignored.
    """
    cls = get_encoder_class(name)
    params = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(config) - set(params) - {"self"})
    if unknown:
        valid = ", ".join(k for k in params if k != "self")
        raise ConfigError(
            f"encoder {name!r}: unknown argument(s) {', '.join(unknown)}; it takes {valid}"
        )
    try:
        return cls(**config)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"encoder {name!r}: {exc}") from None
