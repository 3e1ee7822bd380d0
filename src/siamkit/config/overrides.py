"""Command-line overrides of config values: ``--set training.epochs=3``, typed by the schema.

The dotted key is looked up in the schema (an unknown key is an error with a suggestion); the text
after ``=`` is read as the key's type: ``true``/``false`` for booleans, numbers for ints and floats,
``[1, 5]`` or ``1,5`` for lists, the text itself for strings; ``none`` resets an optional key to its
default. Keys inside free tables (``encoder.args.embedding_dim=64``) take a TOML value (``64``,
``[32, 64]``, ``true``), or the text itself when it is not one.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union

from ..errors import ConfigError
from .fields import hints, suggest, type_name
from .schema import ExperimentConfig
from .toml_io import parse_toml_value

_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def parse_override(text: str) -> tuple[list[str], str]:
    """``"training.epochs=3"`` -> ``(["training", "epochs"], "3")``."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {text}: expected section.key=value, e.g. training.epochs=3")
    return key.split("."), value.strip()


def _hint_at(path: list[str], text: str) -> Any:
    """The type hint of the schema key at ``path`` (Any inside a free table)."""
    cls: Any = ExperimentConfig
    for depth, part in enumerate(path):
        if cls is Any:
            return Any
        fields = {f.name for f in dataclasses.fields(cls) if f.metadata.get("toml", True)}
        if part not in fields:
            section = ".".join(path[:depth])
            inside = f" in [{section}]" if section else " at the top level"
            raise ConfigError(f"--set {text}: unknown key {part!r}{inside}{suggest(part, fields)}")
        hint = hints(cls)[part]
        last = depth == len(path) - 1
        if dataclasses.is_dataclass(hint):
            if last:
                raise ConfigError(f"--set {text}: [{'.'.join(path)}] is a section; set one of its "
                                  f"keys, e.g. {'.'.join(path)}.<key>=<value>")
            cls = hint
        elif typing.get_origin(hint) is dict or hint is dict:
            cls = Any
            if last:
                return hint
        elif not last:
            raise ConfigError(f"--set {text}: {'.'.join(path[:depth + 1])} is not a section")
        else:
            return hint
    return cls


def convert(value: str, hint: Any, text: str) -> Any:
    """The override text ``value`` as a value of type ``hint`` (see the module docstring)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    bad = ConfigError(f"--set {text}: expected {type_name(hint)}, got {value!r}")
    if hint is Any:
        return parse_toml_value(value, default=value)
    if hint is str:
        return _unquote(value)
    if origin is Literal:
        return _unquote(value)  # the schema check names the allowed values
    if hint is bool:
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise bad
    if hint in (int, float):
        try:
            return hint(value) if hint is float else int(value)
        except ValueError:
            raise bad from None
    if origin in (Union, types.UnionType):
        for option in args:
            if option is type(None):
                continue
            try:
                return convert(value, option, text)
            except ConfigError:
                continue
        raise bad
    if origin is list:
        inner = args[0] if args else Any
        parsed = parse_toml_value(value, default=None)
        items = parsed if isinstance(parsed, list) else [v.strip() for v in value.strip("[]").split(",") if v.strip()]
        return [item if not isinstance(item, str) else convert(item, inner, text) for item in items]
    if origin is dict or hint is dict:
        parsed = parse_toml_value(value, default=None)
        if not isinstance(parsed, dict):
            raise ConfigError(f"--set {text}: expected a table such as {{margin = 0.5}}")
        return parsed
    raise bad  # pragma: no cover


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def apply_overrides(data: dict[str, Any], overrides: typing.Iterable[str]) -> dict[str, Any]:
    """A copy of the parsed TOML ``data`` with each ``section.key=value`` override applied."""
    out = _deep_copy(data)
    for text in overrides:
        path, value = parse_override(text)
        hint = _hint_at(path, text)
        optional = typing.get_origin(hint) in (Union, types.UnionType) and type(None) in typing.get_args(hint)
        node = out
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {text}: {part} holds a value, not a table")
            node = child
        if optional and value.lower() in ("none", "null", ""):
            node.pop(path[-1], None)
        else:
            node[path[-1]] = convert(value, hint, text)
    return out


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data
