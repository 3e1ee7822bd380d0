"""How a reader of user files joins :data:`siamkit.registry.READERS`: ``@register_reader(...)``.

A reader is one ``[data] source`` of an experiment config. Its registry entry carries what the
config checks, the CLI and :mod:`siamkit.experiment` need to know, so that adding a file type is
its reader and its test:

* ``keys``: the ``[data]`` keys it reads (``path``, ``val_path`` and ``test_path`` are added for
  every file reader); a key that no reader of the chosen source reads is a config error.
* ``suffixes``: the file suffixes it accepts (``folder=True``: it reads a folder);
  ``siamkit evaluate --data FILE`` picks a reader by them.
* ``columns``: header columns that mark its files, to tell CSV/TSV readers apart (none: any).
* ``yields``: ``("labelled",)`` for samples with classes, ``("pairs",)`` for explicit pairs.
* ``modalities``: the kinds of sample it holds (``"image"``, ``"text"``, ``"vector"``).

The registered function reads one file or folder: ``reader(path, **values)``, with the value of
each of its keys (other than the paths) as the config holds it, ``None`` where the key was not set.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from ...registry import READERS

F = TypeVar("F", bound=Callable[..., Any])

FILE_KEYS = ("path", "val_path", "test_path")


def register_reader(name: str, *, keys: tuple[str, ...], yields: tuple[str, ...],
                    modalities: tuple[str, ...], suffixes: tuple[str, ...] = (),
                    folder: bool = False, columns: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Decorator: register the function below as the reader of ``[data] source = name``."""
    return READERS.register(name, keys=FILE_KEYS + tuple(keys), suffixes=tuple(suffixes),
                            folder=folder, columns=tuple(columns), yields=tuple(yields),
                            modalities=tuple(modalities))


def given(**values: Any) -> dict[str, Any]:
    """The ``values`` that were set (not None), to pass on as keyword arguments."""
    return {key: value for key, value in values.items() if value is not None}
