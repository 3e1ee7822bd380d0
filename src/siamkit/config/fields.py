"""Reading a nested dict (parsed TOML) into config dataclasses, checking every key and type.

The schema is the dataclasses themselves: their fields are the keys, their type hints the types.
Supported hints: ``bool``, ``int``, ``float`` (an int is accepted), ``str``, ``Literal[...]``
(one of the listed values), ``list[T]``, ``X | None`` (None only by leaving the key out: TOML has
no null), unions of those, ``dict[str, Any]`` (a free table, checked later by whatever consumes it),
and nested dataclasses (a sub-table). A ``str`` key made with :func:`~siamkit.config.schema.named`
must name a registered component (see :mod:`siamkit.registry`). An unknown key, a wrong type, a
value outside a ``Literal`` or an unregistered name raises :class:`~siamkit.errors.ConfigError`
naming the file, the ``[section]`` and the key, with a "did you mean" suggestion for near misses.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, Literal, Union

from ..errors import ConfigError
from ..registry import REGISTRIES

_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def suggest(word: str, choices: typing.Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def where(source: str, section: str) -> str:
    """The prefix of every message: ``config.toml: [training]`` (or ``config.toml:`` at the top)."""
    return f"{source}: [{section}]" if section else f"{source}:"


def describe(value: Any) -> str:
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)
    shown = repr(value) if not isinstance(value, dict) else "{...}"
    return f"{shown[:60]} ({kind})"


def type_name(hint: Any) -> str:
    """A reader's name for a type hint: "an integer", "a list of numbers", "one of 'a', 'b'"."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in _NAMES:
        return _NAMES[hint]
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(type_name(a) for a in args if a is not type(None))
    if origin is list:
        inner = type_name(args[0]) if args else "values"
        return "a list of " + inner.replace("an integer", "integers").replace("a number", "numbers") \
            .replace("a string", "strings")
    if origin is dict or hint is dict:
        return "a table"
    if dataclasses.is_dataclass(hint):
        return "a table"
    return str(hint)


class _Mismatch(Exception):
    """A value does not fit a hint; the message says what was expected."""


def coerce(value: Any, hint: Any) -> Any:
    """``value`` checked against ``hint`` (ints widened to float where a float is expected)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif origin is Literal:
        if value in args and type(value) in {type(a) for a in args}:
            return value
        guess = suggest(value, args) if isinstance(value, str) else ""
        raise _Mismatch(f"must be {type_name(hint)}, got {describe(value)}{guess}")
    elif origin in (Union, types.UnionType):
        for option in args:
            if option is type(None):
                continue
            try:
                return coerce(value, option)
            except _Mismatch:
                continue
    elif origin is list:
        if isinstance(value, list):
            out = []
            for i, item in enumerate(value):
                try:
                    out.append(coerce(item, args[0]) if args else item)
                except _Mismatch as exc:
                    raise _Mismatch(f"item {i}: {exc}") from None
            return out
    elif origin is dict or hint is dict:
        if isinstance(value, dict):
            return dict(value)
    else:  # pragma: no cover - a schema error, not a user error
        raise TypeError(f"unsupported type hint in a config schema: {hint!r}")
    raise _Mismatch(f"expected {type_name(hint)}, got {describe(value)}")


def hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_dict(cls: type, data: Any, source: str, section: str = "") -> Any:
    """Build the dataclass ``cls`` from ``data`` (a dict), checking keys and types."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where(source, section)} expected a table, got {describe(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.metadata.get("toml", True)}
    types_ = hints(cls)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            hint = suggest(key, fields) or f"; known keys: {', '.join(fields)}"
            raise ConfigError(f"{where(source, section)} unknown key {key!r}{hint}")
        hint = types_[key]
        if dataclasses.is_dataclass(hint):
            values[key] = from_dict(hint, value, source, f"{section}.{key}" if section else key)
            continue
        try:
            values[key] = coerce(value, hint)
            if "registry" in fields[key].metadata:
                check_name(values[key], fields[key])
        except _Mismatch as exc:
            raise ConfigError(f"{where(source, section)} {key}: {exc}") from None
    return cls(**values)


def name_choices(f: dataclasses.Field) -> list[str]:
    """The values a ``named`` key accepts: its default first, then the extra words and the
    registered names (aliases are accepted too, but not listed)."""
    meta = f.metadata
    names = [*meta["extra"], *REGISTRIES[meta["registry"]].names(**meta["criteria"])]
    return list(dict.fromkeys([f.default, *names]))


def check_name(value: str, f: dataclasses.Field) -> None:
    """Raise _Mismatch unless ``value`` is one of the choices of the ``named`` field ``f``."""
    meta = f.metadata
    registry = REGISTRIES[meta["registry"]]
    if value in meta["extra"] or (value in registry and registry.entry(value).name
                                  in registry.names(**meta["criteria"])):
        return
    choices = name_choices(f)
    every = choices + registry.names(True, **meta["criteria"])
    raise _Mismatch(f"must be one of {', '.join(repr(c) for c in choices)}, got "
                    f"{describe(value)}{suggest(value, every)}")


def to_dict(obj: Any) -> dict[str, Any]:
    """A config dataclass as a plain dict; keys whose value is None are left out (TOML has no null)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None or not f.metadata.get("toml", True):
            continue
        out[f.name] = to_dict(value) if dataclasses.is_dataclass(value) else _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
