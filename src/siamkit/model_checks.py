"""Checks of a model folder's ``config.json`` against itself and its weights, before anything is
allocated.

A model folder is data from anywhere, so every field is checked before it is used: types and
bounds of the top-level fields (``format_version`` a whole number no newer than this siamkit,
``threshold.value`` a finite number inside the range the model's scores can take, so that no
"-inf" or "NaN" makes every decision the same), the encoder's and the adapter's arguments against
the types their registered constructors declare, and then the shapes: the model is built on
PyTorch's ``meta`` device (shapes, no memory) and its tensors are compared with the header of
``model.safetensors``, read without loading (``safetensors.safe_open``). A config that would
build other shapes than the file holds, or a model much larger than it (non-persistent buffers
count too), is refused before a real tensor is made: ``embedding_dim: 10000000`` costs nothing.

Every error is one :class:`~siamkit.errors.ModelFileError` line naming the file, the field and the
problem.
"""

from __future__ import annotations

import inspect
import math
import numbers
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from .errors import ModelFileError

MAX_INT = 2**31 - 1  # larger whole numbers in a model config are corrupt, whatever they mean
# The model built may exceed the weights on disk by its non-persistent buffers, within reason.
SLACK_BYTES = 64 * 2**20


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def check_value(value: Any, hint: Any, field: str) -> str | None:
    """Why ``value`` does not fit the annotation ``hint``, or None (unknown hints accept all)."""
    origin = typing.get_origin(hint)
    if hint is Any or hint is inspect.Parameter.empty:
        return None
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        reasons = [check_value(value, h, field) for h in typing.get_args(hint)]
        return None if any(r is None for r in reasons) else reasons[0]
    if hint is type(None):
        return None if value is None else f"expected null, got {value!r}"
    if hint is bool:
        return None if isinstance(value, bool) else f"expected true or false, got {value!r}"
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            return f"expected a whole number, got {value!r}"
        if not -MAX_INT <= value <= MAX_INT:
            return f"{value} is out of range (|value| <= {MAX_INT})"
        return None
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return f"expected a number, got {value!r}"
        return None if math.isfinite(value) else f"expected a finite number, got {value!r}"
    if hint is str:
        return None if isinstance(value, str) else f"expected a string, got {value!r}"
    if origin in (list, tuple, Sequence, typing.Sequence) or hint in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return f"expected a list, got {value!r}"
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        if len(args) == 1 or (origin is tuple and args and len(set(args)) == 1):
            for i, item in enumerate(value):
                reason = check_value(item, args[0], f"{field}[{i}]")
                if reason:
                    return f"item {i}: {reason}"
        return None
    return None


def check_arguments(cls: type, config: dict[str, Any], field: str, where: str) -> None:
    """Check ``config`` against the annotated constructor of ``cls``: declared types, finite
    numbers, and no negative whole number where the default is not negative (sizes, counts)."""
    if not isinstance(config, dict):
        raise ModelFileError(f"{where}: {field}: expected an object, got {config!r}")
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # noqa: BLE001 - unresolvable annotations: nothing to check against
        hints = {}
    params = inspect.signature(cls.__init__).parameters
    for key, value in config.items():
        param = params.get(key)
        if param is None:
            continue  # the constructor itself names unknown arguments
        reason = check_value(value, hints.get(key, Any), f"{field}.{key}")
        if reason is None and _negative(value) and not _negative(param.default):
            reason = f"must not be negative, got {value!r}"
        if reason:
            raise ModelFileError(f"{where}: {field}.{key}: {reason}")


def _negative(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return value < 0
    if isinstance(value, (list, tuple)):
        return any(_negative(v) for v in value)
    return False


def check_top_level(config: dict[str, Any], where: str, newest: int) -> None:
    """Types and bounds of the top-level fields of a model's ``config.json``."""
    version = config.get("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{where}: format_version: expected a whole number >= 1, "
                             f"got {version!r}")
    if version > newest:
        raise ModelFileError(f"{where}: format_version: saved with a newer format ({version}); "
                             "upgrade siamkit")
    kinds = {"siamkit_version": (str,), "encoder": (dict,), "adapter": (dict, type(None)),
             "distance": (str,), "head": (dict, type(None)), "threshold": (dict, type(None)),
             "metadata": (dict, type(None))}
    for key, types in kinds.items():
        if key in config and not isinstance(config[key], types):
            names = " or ".join("null" if t is type(None) else
                                {"dict": "an object", "str": "a string"}[t.__name__]
                                for t in types)
            raise ModelFileError(f"{where}: {key}: expected {names}, got {config[key]!r}"[:300])
    encoder = config["encoder"]
    for key, types in (("name", (str, type(None))), ("config", (dict,)), ("class", (str,))):
        if key in encoder and not isinstance(encoder[key], types):
            raise ModelFileError(f"{where}: encoder.{key}: wrong type ({encoder[key]!r})"[:300])
    dim = config.get("embedding_dim")
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)
                            or not 1 <= dim <= MAX_INT):
        raise ModelFileError(f"{where}: embedding_dim: expected a whole number >= 1, got {dim!r}")
    head = config.get("head")
    if head is not None and (not isinstance(head.get("name"), str)
                             or not isinstance(head.get("config", {}), dict)):
        raise ModelFileError(f"{where}: head: expected {{\"name\": str, \"config\": {{...}}}}")
    threshold = config.get("threshold")
    if threshold is not None:
        value = threshold.get("value")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not math.isfinite(value):
            raise ModelFileError(f"{where}: threshold.value: expected a finite number, got "
                                 f"{value!r}; a threshold of inf or NaN decides every pair alike")


def score_range(kind: str) -> tuple[float, float] | None:
    """The scores a model of ``score_kind`` can give (None: unbounded or unknown)."""
    if kind == "probability":
        return 0.0, 1.0
    if kind == "cosine_similarity":
        return -1.0, 1.0
    if kind.startswith("negative_"):
        return -math.inf, 0.0
    return None


def check_threshold_range(value: float | None, kind: str, where: str) -> None:
    bounds = score_range(kind)
    if value is None or bounds is None:
        return
    low, high = bounds
    if not low <= value <= high:
        raise ModelFileError(f"{where}: threshold.value: {value} is outside the range of this "
                             f"model's scores ({kind}: {low} to {high}), so every pair would get "
                             "the same answer")


def weights_header(file: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """``name -> (dtype, shape)`` of every tensor in a safetensors file, from its header only."""
    from safetensors import safe_open

    try:
        with safe_open(str(file), framework="pt") as fh:
            return {k: (str(fh.get_slice(k).get_dtype()), tuple(fh.get_slice(k).get_shape()))
                    for k in fh.keys()}
    except Exception as exc:  # noqa: BLE001 - safetensors' own error types
        raise ModelFileError(f"{file}: not a readable safetensors file ({exc})") from None


_DTYPE_BYTES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2,
                "I16": 2, "U16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def build_on_meta(build: Callable[[], nn.Module], where: str) -> nn.Module | None:
    """``build()`` on the meta device (shapes without memory); None when the encoder cannot be
    built there (an operation without a meta kernel), so that the caller checks less."""
    try:
        with torch.device("meta"):
            return build()
    except (NotImplementedError, RuntimeError) as exc:
        if "meta" in str(exc).lower():
            return None
        raise ModelFileError(f"{where}: the config does not build a model "
                             f"({str(exc).splitlines()[0][:200]})") from None


def check_shapes(model: nn.Module, header: dict[str, tuple[str, tuple[int, ...]]],
                 where: str, weights_name: str) -> None:
    """Refuse a config whose model (built on meta) does not match the weights' header."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing = sorted(set(expected) - set(header))
    unexpected = sorted(set(header) - set(expected))
    wrong = sorted(k for k in set(expected) & set(header) if expected[k] != header[k][1])
    if wrong:
        k = wrong[0]
        raise ModelFileError(
            f"{where}: wrong shape: builds {k} of shape {list(expected[k])} but {weights_name} "
            f"holds {list(header[k][1])}" + (f" ({len(wrong) - 1} more differ)" if len(wrong) > 1
                                              else "") + "; the config and the weights disagree")
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:5])}")
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:5])}")
        raise ModelFileError(f"{where}: the weights in {weights_name} do not match "
                             f"the config ({'; '.join(parts)})")
    held = sum(_DTYPE_BYTES.get(d, 8) * math.prod(s) for d, s in header.values())
    tensors = list(model.parameters()) + list(model.buffers())
    needs = sum(t.numel() * t.element_size() for t in tensors)
    if needs > 2 * held + SLACK_BYTES:
        raise ModelFileError(f"{where}: would build a model of {needs / 2**20:.0f} MiB "
                             f"while {weights_name} holds {held / 2**20:.1f} MiB")
